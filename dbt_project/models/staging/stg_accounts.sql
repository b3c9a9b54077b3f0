with source as (
    select * from {{ source('saas', 'accounts') }}
),

renamed as (
    select
        account_id,
        trim(name) as account_name,
        lower(industry) as industry,
        upper(country) as country_code,
        employee_band,
        lower(plan_code) as current_plan_code,
        lower(status) as account_status,
        created_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
