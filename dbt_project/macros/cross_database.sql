{#-
    SQL that differs between warehouses and that dbt's own cross-database macros
    (dbt.datediff, dbt.dateadd, dbt.date_part, ...) do not cover. Each macro dispatches on
    the adapter: `<adapter>__name` wins, `default__name` is the fallback (Postgres-style
    SQL, which Redshift also takes). A new warehouse needs at most one more variant here.
-#}

{#- Text value of a top-level key of a JSON string column (null when missing). -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_path_text({{ column }}, '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    (cast({{ column }} as json) ->> '{{ key }}')
{%- endmacro %}

{#- An integer parsed from text, or null when the text is not a whole number. -#}
{% macro try_cast_integer(expression) -%}
    {{ return(adapter.dispatch('try_cast_integer')(expression)) }}
{%- endmacro %}

{% macro default__try_cast_integer(expression) -%}
    try_cast({{ expression }} as integer)
{%- endmacro %}

{% macro postgres__try_cast_integer(expression) -%}
    {#- Postgres has no try_cast: only text that fits an integer (up to 9 digits) is cast. -#}
    case
        when trim({{ expression }}) ~ '^[-+]?[0-9]{1,9}$' then cast(trim({{ expression }}) as integer)
    end
{%- endmacro %}

{#-
    One row per `datepart` step from `start` to `stop` (both included), as timestamps: a
    set-returning expression for a select list, e.g. `select {{ timestamp_series(...) }} as t`.
-#}
{% macro timestamp_series(start, stop, datepart) -%}
    {{ return(adapter.dispatch('timestamp_series')(start, stop, datepart)) }}
{%- endmacro %}

{% macro default__timestamp_series(start, stop, datepart) -%}
    generate_series(
        cast({{ start }} as timestamp), cast({{ stop }} as timestamp), interval '1 {{ datepart }}'
    )
{%- endmacro %}

{% macro duckdb__timestamp_series(start, stop, datepart) -%}
    {#- DuckDB's generate_series returns a list: unnest turns it into rows. -#}
    unnest(generate_series(
        cast({{ start }} as timestamp), cast({{ stop }} as timestamp), interval '1 {{ datepart }}'
    ))
{%- endmacro %}

{#- Minutes from `start` to `stop` as an exact number (Postgres' datediff is a float). -#}
{% macro minutes_between(start, stop) -%}
    cast({{ dbt.datediff(start, stop, 'minute') }} as {{ dbt.type_numeric() }})
{%- endmacro %}
