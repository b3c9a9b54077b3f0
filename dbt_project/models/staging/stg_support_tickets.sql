with source as (
    select * from {{ source('saas', 'support_tickets') }}
),

renamed as (
    select
        ticket_id,
        account_id,
        user_id as opened_by_user_id,
        lower(priority) as priority,
        lower(category) as category,
        opened_at,
        first_response_at,
        closed_at,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
