{#- Divide two expressions, returning null instead of failing when the denominator is 0. -#}
{% macro safe_divide(numerator, denominator) -%}
    (({{ numerator }}) / nullif(({{ denominator }}), 0))
{%- endmacro %}
