{#-
    Divide two expressions, returning null instead of failing when the denominator is 0.
    Always a fractional division: on Postgres (and others) integer / integer truncates.
-#}
{% macro safe_divide(numerator, denominator) -%}
    (({{ numerator }}) * 1.0 / nullif(({{ denominator }}), 0))
{%- endmacro %}
