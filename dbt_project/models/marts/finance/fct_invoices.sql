with invoices as (
    select * from {{ ref('int_invoice_payments') }}
),

subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

final as (
    select
        invoices.invoice_id,
        invoices.subscription_id,
        invoices.account_id,
        subscriptions.plan_code,
        subscriptions.plan_tier,
        invoices.invoice_status,
        invoices.currency,
        invoices.issued_at,
        invoices.due_at,
        cast(date_trunc('month', invoices.issued_at) as date) as issued_month,
        invoices.amount_cents,
        invoices.amount_paid_cents,
        invoices.amount_outstanding_cents,
        invoices.amount_written_off_cents,
        {{ cents_to_dollars('invoices.amount_cents') }} as amount,
        {{ cents_to_dollars('invoices.amount_paid_cents') }} as amount_paid,
        {{ cents_to_dollars('invoices.amount_outstanding_cents') }} as amount_outstanding,
        invoices.payment_count,
        invoices.first_payment_at,
        invoices.paid_in_full_at,
        invoices.days_to_pay,
        invoices.was_paid_late,
        invoices.is_overdue,
        invoices.days_overdue,
        case
            when invoices.invoice_status != 'open' then 'closed'
            when not invoices.is_overdue then 'not_due'
            when invoices.days_overdue <= 30 then '1-30'
            when invoices.days_overdue <= 60 then '31-60'
            when invoices.days_overdue <= 90 then '61-90'
            else '90+'
        end as aging_bucket
    from invoices
    inner join subscriptions
        on invoices.subscription_id = subscriptions.subscription_id
)

select * from final
