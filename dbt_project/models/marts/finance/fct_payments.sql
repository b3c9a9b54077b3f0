with payments as (
    select * from {{ ref('stg_payments') }}
),

invoices as (
    select * from {{ ref('int_invoice_payments') }}
),

final as (
    select
        payments.payment_id,
        payments.invoice_id,
        invoices.subscription_id,
        invoices.account_id,
        payments.payment_method,
        payments.amount_cents,
        payments.amount,
        payments.paid_at,
        cast(date_trunc('month', payments.paid_at) as date) as paid_month,
        row_number() over (
            partition by payments.invoice_id
            order by payments.paid_at, payments.payment_id
        ) as payment_sequence,
        invoices.payment_count > 1 as is_installment,
        payments.paid_at > invoices.due_at as is_late,
        {{ dbt.datediff('invoices.issued_at', 'payments.paid_at', 'day') }}
            as days_after_issue
    from payments
    inner join invoices
        on payments.invoice_id = invoices.invoice_id
)

select * from final
