{#-
    Contractual support targets, in hours, by ticket priority.
    kind: 'first_response' or 'resolution'.
-#}
{% macro support_sla_hours(priority_column, kind='first_response') -%}
    {%- set targets = {
        'first_response': {'urgent': 1, 'high': 4, 'normal': 12, 'low': 24},
        'resolution': {'urgent': 24, 'high': 48, 'normal': 120, 'low': 240},
    } -%}
    {%- if kind not in targets -%}
        {{ exceptions.raise_compiler_error("support_sla_hours: unknown kind '" ~ kind ~ "'") }}
    {%- endif -%}
    case {{ priority_column }}
        {%- for priority, hours in targets[kind].items() %}
        when '{{ priority }}' then {{ hours }}
        {%- endfor %}
    end
{%- endmacro %}
