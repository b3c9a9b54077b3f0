with accounts as (
    select * from {{ ref('stg_accounts') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

engagement as (
    select * from {{ ref('int_account_engagement') }}
),

invoices as (
    select * from {{ ref('int_invoice_payments') }}
),

tickets as (
    select * from {{ ref('int_support_ticket_sla') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

current_subscriptions as (
    select * from subscriptions
    where is_current
),

receivables as (
    select
        account_id,
        count(*) filter (where is_overdue) as overdue_invoice_count,
        coalesce(max(days_overdue), 0) as max_days_overdue
    from invoices
    group by account_id
),

support as (
    select
        tickets.account_id,
        count(*) filter (
            where tickets.is_open and tickets.priority in ('high', 'urgent')
        ) as open_high_priority_tickets,
        count(*) filter (
            where tickets.opened_at >= {{ dbt.dateadd('day', -90, 'reporting_period.as_of_at') }}
            and (tickets.is_first_response_breached or tickets.is_resolution_breached)
        ) as sla_breaches_90d
    from tickets
    cross join reporting_period
    group by tickets.account_id
),

inputs as (
    select
        accounts.account_id,
        accounts.account_name,
        current_subscriptions.plan_code,
        current_subscriptions.seats,
        current_subscriptions.mrr_cents,
        engagement.user_count,
        engagement.active_users_30d,
        engagement.engaged_users_30d,
        engagement.events_30d,
        engagement.events_prior_30d,
        engagement.last_activity_at,
        coalesce(receivables.overdue_invoice_count, 0) as overdue_invoice_count,
        coalesce(receivables.max_days_overdue, 0) as max_days_overdue,
        coalesce(support.open_high_priority_tickets, 0) as open_high_priority_tickets,
        coalesce(support.sla_breaches_90d, 0) as sla_breaches_90d,
        -- Licensed users we can reasonably expect to be active.
        greatest(1, least(current_subscriptions.seats, engagement.user_count)) as addressable_users
    from accounts
    inner join current_subscriptions
        on accounts.account_id = current_subscriptions.account_id
    left join engagement
        on accounts.account_id = engagement.account_id
    left join receivables
        on accounts.account_id = receivables.account_id
    left join support
        on accounts.account_id = support.account_id
),

scored as (
    select
        *,
        -- Adoption (0-40): full marks when half of the addressable users are engaged.
        round(40 * least(1.0, engaged_users_30d / (0.5 * addressable_users)))
            as adoption_score,
        -- Usage trend (0-20): events in the last 30 days versus the 30 days before;
        -- flat or growing usage scores 20, a drop of half or more scores 0.
        case
            when events_prior_30d = 0 and events_30d > 0 then 20
            when events_prior_30d = 0 then 0
            else round(20 * greatest(0.0, least(1.0, 2.0 * events_30d / events_prior_30d - 1)))
        end as trend_score,
        -- Billing (0-25): penalise overdue receivables by age.
        case
            when overdue_invoice_count = 0 then 25
            when max_days_overdue <= 30 then 10
            else 0
        end as billing_score,
        -- Support (0-15): open escalations and recent SLA misses.
        greatest(0, 15 - 5 * open_high_priority_tickets - 2 * sla_breaches_90d) as support_score
    from inputs
),

final as (
    select
        account_id,
        account_name,
        plan_code,
        seats,
        mrr_cents,
        user_count,
        active_users_30d,
        engaged_users_30d,
        events_30d,
        events_prior_30d,
        last_activity_at,
        overdue_invoice_count,
        max_days_overdue,
        open_high_priority_tickets,
        sla_breaches_90d,
        cast(adoption_score as integer) as adoption_score,
        cast(trend_score as integer) as trend_score,
        cast(billing_score as integer) as billing_score,
        cast(support_score as integer) as support_score,
        cast(adoption_score + trend_score + billing_score + support_score as integer)
            as health_score,
        case
            when adoption_score + trend_score + billing_score + support_score >= 70 then 'healthy'
            when adoption_score + trend_score + billing_score + support_score >= 40 then 'monitor'
            else 'at_risk'
        end as health_status
    from scored
)

select * from final
