with source as (
    select * from {{ source('saas', 'invoices') }}
),

renamed as (
    select
        invoice_id,
        subscription_id,
        account_id,
        lower(status) as invoice_status,
        upper(currency) as currency,
        amount_cents,
        {{ cents_to_dollars('amount_cents') }} as amount,
        issued_at,
        due_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
