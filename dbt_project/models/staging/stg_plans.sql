with plans as (
    select * from {{ ref('plans') }}
),

renamed as (
    select
        plan_code,
        plan_name,
        tier as plan_tier,
        monthly_price_per_seat_cents,
        {{ cents_to_dollars('monthly_price_per_seat_cents') }} as monthly_price_per_seat,
        monthly_price_per_seat_cents > 0 as is_paid_plan,
        payment_terms_days,
        is_self_serve
    from plans
)

select * from renamed
