-- Payments recorded against an invoice must never add up to more than the invoice total.
-- Returns every over-paid invoice; the test passes when no rows come back.
with invoices as (
    select * from {{ ref('stg_invoices') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

paid as (
    select
        invoice_id,
        sum(amount_cents) as amount_paid_cents
    from payments
    group by invoice_id
),

final as (
    select
        invoices.invoice_id,
        invoices.amount_cents,
        paid.amount_paid_cents
    from invoices
    inner join paid
        on invoices.invoice_id = paid.invoice_id
    where paid.amount_paid_cents > invoices.amount_cents
)

select * from final
