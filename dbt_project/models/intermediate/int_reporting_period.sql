with accounts as (
    select * from {{ ref('stg_accounts') }}
),

latest_load as (
    -- accounts is re-synced in full on every load, so its latest _loaded_at is the
    -- moment of the most recent complete load.
    select max(_loaded_at) as loaded_at
    from accounts
),

cutoff as (
    select {{ as_of_timestamp('loaded_at') }} as as_of_at
    from latest_load
),

final as (
    select
        as_of_at,
        cast(as_of_at as date) - 1 as last_complete_date,
        cast(date_trunc('month', cast(as_of_at as date) - 1) as date) as reporting_month
    from cutoff
)

select * from final
