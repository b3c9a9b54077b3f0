with tickets as (
    select * from {{ ref('fct_support_tickets') }}
),

monthly as (
    select
        opened_month,
        priority,
        count(*) as tickets_opened,
        count(*) filter (where is_open) as tickets_still_open,
        count(*) filter (where is_first_response_breached) as first_response_breaches,
        count(*) filter (where is_resolution_breached) as resolution_breaches,
        count(*) filter (where is_first_response_breached is not null)
            as first_response_measurable,
        count(*) filter (where is_resolution_breached is not null) as resolution_measurable,
        percentile_cont(0.5) within group (order by first_response_hours)
            as median_first_response_hours,
        percentile_cont(0.9) within group (order by first_response_hours)
            as p90_first_response_hours,
        percentile_cont(0.5) within group (order by resolution_hours)
            as median_resolution_hours,
        max(first_response_target_hours) as first_response_target_hours,
        max(resolution_target_hours) as resolution_target_hours
    from tickets
    group by opened_month, priority
),

final as (
    select
        {{ generate_surrogate_key(['opened_month', 'priority']) }} as month_priority_id,
        opened_month,
        priority,
        tickets_opened,
        tickets_still_open,
        first_response_breaches,
        resolution_breaches,
        round(
            1 - {{ safe_divide('first_response_breaches', 'first_response_measurable') }}, 4
        ) as first_response_sla_attainment,
        round(1 - {{ safe_divide('resolution_breaches', 'resolution_measurable') }}, 4)
            as resolution_sla_attainment,
        round(cast(median_first_response_hours as {{ dbt.type_numeric() }}), 2)
            as median_first_response_hours,
        round(cast(p90_first_response_hours as {{ dbt.type_numeric() }}), 2)
            as p90_first_response_hours,
        round(cast(median_resolution_hours as {{ dbt.type_numeric() }}), 2)
            as median_resolution_hours,
        first_response_target_hours,
        resolution_target_hours
    from monthly
)

select * from final
