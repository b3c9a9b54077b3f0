{#-
    Event types that represent real value delivered to the customer (as opposed to
    navigation). Used for engagement metrics and account health scoring.
-#}
{% macro key_action_event_types() -%}
    {{ return(['report_created', 'report_exported', 'alert_configured', 'integration_connected']) }}
{%- endmacro %}

{% macro is_key_action(event_type_column) -%}
    {{ event_type_column }} in (
        {%- for event_type in key_action_event_types() -%}
        '{{ event_type }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}
