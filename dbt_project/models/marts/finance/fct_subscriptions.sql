with subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

invoices as (
    select * from {{ ref('int_invoice_payments') }}
),

billing as (
    select
        subscription_id,
        count(*) as invoice_count,
        sum(amount_cents) filter (where invoice_status != 'void') as amount_invoiced_cents,
        sum(amount_paid_cents) as amount_collected_cents
    from invoices
    group by subscription_id
),

final as (
    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.plan_code,
        subscriptions.plan_name,
        subscriptions.plan_tier,
        subscriptions.is_paid_plan,
        subscriptions.seats,
        subscriptions.subscription_status,
        subscriptions.subscription_number,
        subscriptions.change_type,
        subscriptions.is_current,
        subscriptions.started_at,
        subscriptions.ended_at,
        subscriptions.duration_days,
        subscriptions.mrr_cents,
        subscriptions.mrr,
        subscriptions.mrr_change_cents,
        {{ cents_to_dollars('subscriptions.mrr_change_cents') }} as mrr_change,
        coalesce(billing.invoice_count, 0) as invoice_count,
        cast(coalesce(billing.amount_invoiced_cents, 0) as bigint) as amount_invoiced_cents,
        cast(coalesce(billing.amount_collected_cents, 0) as bigint) as amount_collected_cents,
        {{ cents_to_dollars('coalesce(billing.amount_collected_cents, 0)') }} as amount_collected
    from subscriptions
    left join billing
        on subscriptions.subscription_id = billing.subscription_id
)

select * from final
