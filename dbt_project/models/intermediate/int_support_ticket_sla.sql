with tickets as (
    select * from {{ ref('stg_support_tickets') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

timed as (
    select
        tickets.ticket_id,
        tickets.account_id,
        tickets.opened_by_user_id,
        tickets.priority,
        tickets.category,
        tickets.opened_at,
        tickets.first_response_at,
        tickets.closed_at,
        tickets.closed_at is null as is_open,
        {{ support_sla_hours('tickets.priority', 'first_response') }}
            as first_response_target_hours,
        {{ support_sla_hours('tickets.priority', 'resolution') }}
            as resolution_target_hours,
        {{ minutes_between('tickets.opened_at', 'tickets.first_response_at') }} / 60
            as first_response_hours,
        {{ minutes_between('tickets.opened_at', 'tickets.closed_at') }} / 60 as resolution_hours,
        {{ minutes_between('tickets.opened_at', 'reporting_period.as_of_at') }} / 60 as age_hours
    from tickets
    cross join reporting_period
),

final as (
    select
        ticket_id,
        account_id,
        opened_by_user_id,
        priority,
        category,
        opened_at,
        first_response_at,
        closed_at,
        is_open,
        first_response_target_hours,
        resolution_target_hours,
        round(first_response_hours, 2) as first_response_hours,
        round(resolution_hours, 2) as resolution_hours,
        -- Still-unanswered tickets only count as breached once the target has passed.
        case
            when first_response_hours is not null
                then first_response_hours > first_response_target_hours
            when age_hours > first_response_target_hours then true
        end as is_first_response_breached,
        case
            when resolution_hours is not null then resolution_hours > resolution_target_hours
            when age_hours > resolution_target_hours then true
        end as is_resolution_breached
    from timed
)

select * from final
