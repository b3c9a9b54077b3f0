with source as (
    select * from {{ source('saas', 'payments') }}
),

renamed as (
    select
        payment_id,
        invoice_id,
        lower(method) as payment_method,
        amount_cents,
        {{ cents_to_dollars('amount_cents') }} as amount,
        paid_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
