{#-
    Deterministic surrogate key from a list of column expressions.
    Nulls are replaced by a sentinel so that (null, 'a') and ('', 'a') differ.
-#}
{% macro generate_surrogate_key(columns) -%}
    md5(concat_ws(
        '|',
        {%- for column in columns %}
        coalesce(cast({{ column }} as varchar), '__null__'){{ "," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}
