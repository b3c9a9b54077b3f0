with events as (
    select * from {{ ref('fct_product_events') }}
),

accounts as (
    select * from {{ ref('stg_accounts') }}
),

usage as (
    select
        account_id,
        feature,
        min(occurred_at) as first_used_at,
        max(occurred_at) as last_used_at,
        count(*) as usage_events,
        count(distinct user_id) as distinct_users,
        count(distinct event_date) as active_days
    from events
    where feature is not null
    group by account_id, feature
),

final as (
    select
        {{ generate_surrogate_key(['usage.account_id', 'usage.feature']) }} as account_feature_id,
        usage.account_id,
        accounts.account_name,
        usage.feature,
        usage.first_used_at,
        usage.last_used_at,
        usage.usage_events,
        usage.distinct_users,
        usage.active_days,
        rank() over (
            partition by usage.account_id
            order by usage.usage_events desc
        ) as feature_rank_in_account
    from usage
    inner join accounts
        on usage.account_id = accounts.account_id
)

select * from final
