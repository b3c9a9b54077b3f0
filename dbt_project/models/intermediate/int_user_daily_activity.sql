with events as (
    select * from {{ ref('stg_events') }}
),

daily as (
    select
        user_id,
        account_id,
        event_date as activity_date,
        count(*) as event_count,
        count(*) filter (where event_type = 'session_started') as session_count,
        count(*) filter (where {{ is_key_action('event_type') }}) as key_action_count,
        count(distinct feature) as distinct_features_used,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at
    from events
    group by user_id, account_id, event_date
),

final as (
    select
        {{ generate_surrogate_key(['user_id', 'activity_date']) }} as user_day_id,
        user_id,
        account_id,
        activity_date,
        event_count,
        session_count,
        key_action_count,
        distinct_features_used,
        first_event_at,
        last_event_at
    from daily
)

select * from final
