with source as (
    select * from {{ source('saas', 'subscriptions') }}
),

renamed as (
    select
        subscription_id,
        account_id,
        lower(plan_code) as plan_code,
        seats,
        lower(status) as subscription_status,
        started_at,
        ended_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
