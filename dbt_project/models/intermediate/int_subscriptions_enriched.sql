with subscriptions as (
    select * from {{ ref('stg_subscriptions') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

priced as (
    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.plan_code,
        plans.plan_name,
        plans.plan_tier,
        plans.is_paid_plan,
        subscriptions.seats,
        subscriptions.seats * plans.monthly_price_per_seat_cents as mrr_cents,
        subscriptions.subscription_status,
        subscriptions.started_at,
        subscriptions.ended_at
    from subscriptions
    inner join plans
        on subscriptions.plan_code = plans.plan_code
),

sequenced as (
    select
        *,
        row_number() over account_history as subscription_number,
        lag(plan_tier) over account_history as previous_plan_tier,
        lag(seats) over account_history as previous_seats,
        lag(mrr_cents) over account_history as previous_mrr_cents,
        lag(subscription_status) over account_history as previous_subscription_status
    from priced
    window account_history as (
        partition by account_id
        order by started_at, subscription_id
    )
),

final as (
    select
        sequenced.subscription_id,
        sequenced.account_id,
        sequenced.plan_code,
        sequenced.plan_name,
        sequenced.plan_tier,
        sequenced.is_paid_plan,
        sequenced.seats,
        sequenced.mrr_cents,
        {{ cents_to_dollars('sequenced.mrr_cents') }} as mrr,
        sequenced.subscription_status,
        sequenced.subscription_number,
        case
            when sequenced.subscription_number = 1 then 'new'
            when sequenced.previous_subscription_status = 'canceled' then 'reactivation'
            when sequenced.plan_tier > sequenced.previous_plan_tier then 'upgrade'
            when sequenced.plan_tier < sequenced.previous_plan_tier then 'downgrade'
            when sequenced.seats > sequenced.previous_seats then 'seat_expansion'
            when sequenced.seats < sequenced.previous_seats then 'seat_contraction'
            else 'renewal'
        end as change_type,
        case
            when sequenced.previous_subscription_status = 'changed'
                then sequenced.mrr_cents - sequenced.previous_mrr_cents
            else sequenced.mrr_cents
        end as mrr_change_cents,
        sequenced.ended_at is null as is_current,
        sequenced.started_at,
        sequenced.ended_at,
        {{ dbt.datediff(
            'sequenced.started_at',
            'coalesce(sequenced.ended_at, reporting_period.as_of_at)',
            'day',
        ) }} as duration_days
    from sequenced
    cross join reporting_period
)

select * from final
