with subscriptions as (
    select * from {{ ref('int_subscriptions_enriched') }}
),

reporting_period as (
    select * from {{ ref('int_reporting_period') }}
),

account_first_month as (
    select
        account_id,
        cast(date_trunc('month', min(started_at)) as date) as first_month
    from subscriptions
    group by account_id
),

month_spine as (
    select
        cast(
            {{ timestamp_series(
                'bounds.first_month', 'reporting_period.reporting_month', 'month'
            ) }}
            as date
        ) as month_start
    from (select min(first_month) as first_month from account_first_month) as bounds
    cross join reporting_period
),

account_months as (
    select
        account_first_month.account_id,
        month_spine.month_start,
        -- MRR is measured at the end of the month, or at the cut-off for the current month.
        least(
            cast({{ dbt.dateadd('month', 1, 'month_spine.month_start') }} as timestamp),
            reporting_period.as_of_at
        ) as measured_at,
        month_spine.month_start = reporting_period.reporting_month as is_current_month
    from account_first_month
    inner join month_spine
        on account_first_month.first_month <= month_spine.month_start
    cross join reporting_period
),

final as (
    select
        {{ generate_surrogate_key(['account_months.account_id', 'account_months.month_start']) }}
            as account_month_id,
        account_months.account_id,
        account_months.month_start,
        subscriptions.subscription_id,
        subscriptions.plan_code,
        coalesce(subscriptions.seats, 0) as seats,
        coalesce(subscriptions.mrr_cents, 0) as mrr_cents,
        account_months.is_current_month
    from account_months
    left join subscriptions
        on
            account_months.account_id = subscriptions.account_id
            and account_months.measured_at >= subscriptions.started_at
            and (
                subscriptions.ended_at is null
                or account_months.measured_at < subscriptions.ended_at
            )
)

select * from final
