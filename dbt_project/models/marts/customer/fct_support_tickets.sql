with tickets as (
    select * from {{ ref('int_support_ticket_sla') }}
),

accounts as (
    select * from {{ ref('stg_accounts') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

final as (
    select
        tickets.ticket_id,
        tickets.account_id,
        accounts.account_name,
        tickets.opened_by_user_id,
        -- Plan the account was on when the ticket was opened.
        subscriptions.plan_code as plan_code_at_open,
        subscriptions.plan_tier as plan_tier_at_open,
        tickets.priority,
        tickets.category,
        tickets.opened_at,
        cast(date_trunc('month', tickets.opened_at) as date) as opened_month,
        tickets.first_response_at,
        tickets.closed_at,
        tickets.is_open,
        tickets.first_response_target_hours,
        tickets.resolution_target_hours,
        tickets.first_response_hours,
        tickets.resolution_hours,
        tickets.is_first_response_breached,
        tickets.is_resolution_breached
    from tickets
    inner join accounts
        on tickets.account_id = accounts.account_id
    left join subscriptions
        on
            tickets.account_id = subscriptions.account_id
            and tickets.opened_at >= subscriptions.started_at
            and (subscriptions.ended_at is null or tickets.opened_at < subscriptions.ended_at)
)

select * from final
