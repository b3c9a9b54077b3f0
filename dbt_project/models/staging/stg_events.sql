with source as (
    select * from {{ source('saas', 'events') }}
),

renamed as (
    select
        event_id,
        user_id,
        account_id,
        lower(event_type) as event_type,
        occurred_at,
        cast(occurred_at as date) as event_date,
        {{ json_text('properties', 'platform') }} as platform,
        {{ json_text('properties', 'feature') }} as feature,
        {{ try_cast_integer(json_text('properties', 'duration_ms')) }} as duration_ms,
        properties,
        _source_file,
        _loaded_at
    from source
)

select * from renamed
