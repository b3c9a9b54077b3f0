{{
    config(
        materialized='incremental',
        unique_key='event_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

with events as (
    select * from {{ ref('stg_events') }}
    {% if is_incremental() %}
        -- Re-process a few days of already-loaded rows to pick up late-arriving events.
        where
            _loaded_at > (
                select max(previous_build._loaded_at) from {{ this }} as previous_build
            ) - interval '{{ var("events_lookback_days") }} days'
    {% endif %}
),

users as (
    select * from {{ ref('stg_users') }}
),

final as (
    select
        events.event_id,
        events.user_id,
        events.account_id,
        users.user_role,
        events.event_type,
        {{ is_key_action('events.event_type') }} as is_key_action,
        events.feature,
        events.platform,
        events.duration_ms,
        events.occurred_at,
        events.event_date,
        extract(hour from events.occurred_at) as event_hour,
        extract(dow from events.occurred_at) in (0, 6) as is_weekend,
        events._loaded_at
    from events
    inner join users
        on events.user_id = users.user_id
)

select * from final
