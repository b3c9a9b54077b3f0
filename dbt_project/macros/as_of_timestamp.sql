{#-
    Reporting cut-off used by int_reporting_period. When the `as_of_timestamp` var is
    set it wins; otherwise the expression passed in (the latest raw load time) is used.
-#}
{% macro as_of_timestamp(default_expression) -%}
    {%- set override = var('as_of_timestamp', none) -%}
    {%- if override -%}
        cast('{{ override }}' as timestamp)
    {%- else -%}
        {{ default_expression }}
    {%- endif -%}
{%- endmacro %}
