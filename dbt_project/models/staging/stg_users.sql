with source as (
    select * from {{ source('saas', 'users') }}
),

renamed as (
    select
        user_id,
        account_id,
        lower(trim(email)) as email,
        split_part(lower(trim(email)), '@', 2) as email_domain,
        lower(role) as user_role,
        created_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
