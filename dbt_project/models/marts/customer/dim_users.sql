with users as (
    select * from {{ ref('stg_users') }}
),

accounts as (
    select * from {{ ref('stg_accounts') }}
),

daily_activity as (
    select * from {{ ref('int_user_daily_activity') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

activity_summary as (
    select
        daily_activity.user_id,
        min(daily_activity.activity_date) as first_active_date,
        max(daily_activity.activity_date) as last_active_date,
        count(*) as lifetime_active_days,
        sum(daily_activity.event_count) as lifetime_events,
        count(*) filter (
            where daily_activity.activity_date > reporting_period.last_complete_date - 30
        ) as active_days_30d
    from daily_activity
    cross join reporting_period
    group by daily_activity.user_id
),

final as (
    select
        users.user_id,
        users.account_id,
        accounts.account_name,
        users.email,
        users.email_domain,
        users.user_role,
        users.user_role in ('owner', 'admin') as is_account_admin,
        users.created_at,
        activity_summary.first_active_date,
        activity_summary.last_active_date,
        coalesce(activity_summary.lifetime_active_days, 0) as lifetime_active_days,
        cast(coalesce(activity_summary.lifetime_events, 0) as bigint) as lifetime_events,
        coalesce(activity_summary.active_days_30d, 0) as active_days_30d,
        coalesce(activity_summary.active_days_30d, 0) > 0 as is_active_30d,
        case
            when activity_summary.active_days_30d >= 12 then 'power'
            when activity_summary.active_days_30d >= 4 then 'regular'
            when activity_summary.active_days_30d >= 1 then 'casual'
            when activity_summary.last_active_date is not null then 'dormant'
            else 'never_active'
        end as engagement_segment
    from users
    inner join accounts
        on users.account_id = accounts.account_id
    left join activity_summary
        on users.user_id = activity_summary.user_id
)

select * from final
