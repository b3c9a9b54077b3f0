with accounts as (
    select * from {{ ref('stg_accounts') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

invoices as (
    select * from {{ ref('int_invoice_payments') }}
),

engagement as (
    select * from {{ ref('int_account_engagement') }}
),

subscription_summary as (
    select
        account_id,
        min(started_at) as first_subscription_at,
        min(started_at) filter (where is_paid_plan) as first_paid_at,
        count(*) as subscription_count,
        count(*) filter (where change_type = 'upgrade') as upgrade_count,
        count(*) filter (where change_type = 'downgrade') as downgrade_count,
        max(plan_tier) as highest_plan_tier
    from subscriptions
    group by account_id
),

subscriptions_newest_first as (
    select
        account_id,
        plan_code,
        seats,
        mrr_cents,
        subscription_status,
        ended_at,
        is_current,
        row_number() over (
            partition by account_id
            order by started_at desc, subscription_id desc
        ) as recency
    from subscriptions
),

latest_subscription as (
    select
        account_id,
        plan_code,
        seats,
        mrr_cents,
        subscription_status,
        ended_at,
        is_current
    from subscriptions_newest_first
    where recency = 1
),

billing_summary as (
    select
        account_id,
        cast(sum(amount_paid_cents) as bigint) as lifetime_revenue_cents,
        cast(sum(amount_outstanding_cents) as bigint) as outstanding_cents,
        count(*) filter (where is_overdue) as overdue_invoice_count,
        max(days_overdue) as max_days_overdue
    from invoices
    group by account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.country_code,
        accounts.employee_band,
        accounts.account_status,
        accounts.created_at,
        latest_subscription.plan_code as current_plan_code,
        plans.plan_name as current_plan_name,
        plans.plan_tier as current_plan_tier,
        latest_subscription.is_current as has_active_subscription,
        case when latest_subscription.is_current then latest_subscription.seats else 0 end
            as current_seats,
        case when latest_subscription.is_current then latest_subscription.mrr_cents else 0 end
            as current_mrr_cents,
        case
            when latest_subscription.subscription_status = 'canceled'
                then latest_subscription.ended_at
        end as churned_at,
        subscription_summary.first_subscription_at,
        subscription_summary.first_paid_at,
        subscription_summary.subscription_count,
        subscription_summary.upgrade_count,
        subscription_summary.downgrade_count,
        subscription_summary.highest_plan_tier,
        coalesce(billing_summary.lifetime_revenue_cents, 0) as lifetime_revenue_cents,
        {{ cents_to_dollars('coalesce(billing_summary.lifetime_revenue_cents, 0)') }}
            as lifetime_revenue,
        coalesce(billing_summary.outstanding_cents, 0) as outstanding_cents,
        coalesce(billing_summary.overdue_invoice_count, 0) as overdue_invoice_count,
        coalesce(billing_summary.max_days_overdue, 0) as max_days_overdue,
        engagement.user_count,
        engagement.active_users_30d,
        engagement.last_activity_at
    from accounts
    left join latest_subscription
        on accounts.account_id = latest_subscription.account_id
    left join plans
        on latest_subscription.plan_code = plans.plan_code
    left join subscription_summary
        on accounts.account_id = subscription_summary.account_id
    left join billing_summary
        on accounts.account_id = billing_summary.account_id
    left join engagement
        on accounts.account_id = engagement.account_id
)

select * from final
