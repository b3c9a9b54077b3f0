with daily_activity as (
    select * from {{ ref('int_user_daily_activity') }}
),

bounds as (
    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from daily_activity
),

date_spine as (
    select
        cast({{ timestamp_series('first_date', 'last_date', 'day') }} as date) as activity_date
    from bounds
),

daily as (
    select
        activity_date,
        count(*) as daily_active_users,
        count(distinct account_id) as daily_active_accounts,
        sum(event_count) as events,
        sum(session_count) as sessions,
        sum(key_action_count) as key_actions
    from daily_activity
    group by activity_date
),

rolling as (
    select
        date_spine.activity_date,
        count(distinct daily_activity.user_id) filter (
            where date_spine.activity_date - daily_activity.activity_date < 7
        ) as weekly_active_users,
        count(distinct daily_activity.user_id) as monthly_active_users
    from date_spine
    left join daily_activity
        on
            date_spine.activity_date between daily_activity.activity_date
            and daily_activity.activity_date + 27
    group by date_spine.activity_date
),

first_activity as (
    select
        first_active_date as activity_date,
        count(*) as new_active_users
    from (
        select
            user_id,
            min(activity_date) as first_active_date
        from daily_activity
        group by user_id
    ) as user_first_days
    group by first_active_date
),

final as (
    select
        date_spine.activity_date,
        extract(dow from date_spine.activity_date) in (0, 6) as is_weekend,
        coalesce(daily.daily_active_users, 0) as daily_active_users,
        rolling.weekly_active_users,
        rolling.monthly_active_users,
        coalesce(daily.daily_active_accounts, 0) as daily_active_accounts,
        coalesce(first_activity.new_active_users, 0) as new_active_users,
        cast(coalesce(daily.events, 0) as bigint) as events,
        cast(coalesce(daily.sessions, 0) as bigint) as sessions,
        cast(coalesce(daily.key_actions, 0) as bigint) as key_actions,
        round(
            {{ safe_divide(
                'coalesce(daily.daily_active_users, 0)',
                'rolling.monthly_active_users',
            ) }},
            4
        ) as dau_mau_ratio,
        -- The first 27 days do not have a full 28-day window behind them.
        date_spine.activity_date >= bounds.first_date + 27 as has_full_mau_window
    from date_spine
    cross join bounds
    left join daily
        on date_spine.activity_date = daily.activity_date
    left join rolling
        on date_spine.activity_date = rolling.activity_date
    left join first_activity
        on date_spine.activity_date = first_activity.activity_date
)

select * from final
