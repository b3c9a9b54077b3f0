with invoices as (
    select * from {{ ref('stg_invoices') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

payment_totals as (
    select
        invoice_id,
        count(*) as payment_count,
        cast(sum(amount_cents) as bigint) as amount_paid_cents,
        min(paid_at) as first_payment_at,
        max(paid_at) as last_payment_at
    from payments
    group by invoice_id
),

joined as (
    select
        invoices.invoice_id,
        invoices.subscription_id,
        invoices.account_id,
        invoices.invoice_status,
        invoices.currency,
        invoices.amount_cents,
        coalesce(payment_totals.amount_paid_cents, 0) as amount_paid_cents,
        coalesce(payment_totals.payment_count, 0) as payment_count,
        invoices.issued_at,
        invoices.due_at,
        payment_totals.first_payment_at,
        payment_totals.last_payment_at,
        reporting_period.as_of_at
    from invoices
    left join payment_totals
        on invoices.invoice_id = payment_totals.invoice_id
    cross join reporting_period
),

final as (
    select
        invoice_id,
        subscription_id,
        account_id,
        invoice_status,
        currency,
        amount_cents,
        amount_paid_cents,
        case
            when invoice_status in ('void', 'uncollectible') then 0
            else amount_cents - amount_paid_cents
        end as amount_outstanding_cents,
        case
            when invoice_status = 'uncollectible' then amount_cents - amount_paid_cents
            else 0
        end as amount_written_off_cents,
        payment_count,
        issued_at,
        due_at,
        first_payment_at,
        case when invoice_status = 'paid' then last_payment_at end as paid_in_full_at,
        case
            when invoice_status = 'paid'
                then {{ dbt.datediff('issued_at', 'last_payment_at', 'day') }}
        end as days_to_pay,
        invoice_status = 'paid' and last_payment_at > due_at as was_paid_late,
        invoice_status = 'open' and due_at < as_of_at as is_overdue,
        case
            when invoice_status = 'open' and due_at < as_of_at
                then {{ dbt.datediff('due_at', 'as_of_at', 'day') }}
            else 0
        end as days_overdue
    from joined
)

select * from final
