with accounts as (
    select * from {{ ref('stg_accounts') }}
),

users as (
    select * from {{ ref('stg_users') }}
),

daily_activity as (
    select * from {{ ref('int_user_daily_activity') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

activity_age as (
    select
        daily_activity.*,
        reporting_period.last_complete_date - daily_activity.activity_date as days_ago
    from daily_activity
    cross join reporting_period
),

activity_windows as (
    select
        *,
        days_ago between 0 and 29 as is_last_30_days,
        days_ago between 30 and 59 as is_prior_30_days
    from activity_age
    where days_ago >= 0
),

user_activity_30d as (
    select
        account_id,
        user_id,
        count(*) as active_days
    from activity_windows
    where is_last_30_days
    group by account_id, user_id
),

engaged_users as (
    -- "Engaged" = active on at least 4 of the last 30 days (a weekly habit).
    select
        account_id,
        count(*) filter (where active_days >= 4) as engaged_users_30d
    from user_activity_30d
    group by account_id
),

activity_rollup as (
    select
        account_id,
        count(distinct user_id) filter (where is_last_30_days) as active_users_30d,
        count(distinct user_id) filter (where is_prior_30_days) as active_users_prior_30d,
        count(distinct activity_date) filter (where is_last_30_days) as active_days_30d,
        coalesce(sum(event_count) filter (where is_last_30_days), 0) as events_30d,
        coalesce(sum(event_count) filter (where is_prior_30_days), 0) as events_prior_30d,
        coalesce(sum(key_action_count) filter (where is_last_30_days), 0) as key_actions_30d,
        max(last_event_at) as last_activity_at
    from activity_windows
    group by account_id
),

user_counts as (
    select
        users.account_id,
        count(*) as user_count
    from users
    cross join reporting_period
    where users.created_at <= reporting_period.as_of_at
    group by users.account_id
),

final as (
    select
        accounts.account_id,
        coalesce(user_counts.user_count, 0) as user_count,
        coalesce(activity_rollup.active_users_30d, 0) as active_users_30d,
        coalesce(activity_rollup.active_users_prior_30d, 0) as active_users_prior_30d,
        coalesce(engaged_users.engaged_users_30d, 0) as engaged_users_30d,
        coalesce(activity_rollup.active_days_30d, 0) as active_days_30d,
        cast(coalesce(activity_rollup.events_30d, 0) as bigint) as events_30d,
        cast(coalesce(activity_rollup.events_prior_30d, 0) as bigint) as events_prior_30d,
        cast(coalesce(activity_rollup.key_actions_30d, 0) as bigint) as key_actions_30d,
        activity_rollup.last_activity_at
    from accounts
    left join user_counts
        on accounts.account_id = user_counts.account_id
    left join activity_rollup
        on accounts.account_id = activity_rollup.account_id
    left join engaged_users
        on accounts.account_id = engaged_users.account_id
)

select * from final
