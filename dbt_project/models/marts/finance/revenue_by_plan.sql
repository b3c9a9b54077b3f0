with mrr_monthly as (
    select * from {{ ref('fct_mrr_monthly') }}
),

invoices as (
    select * from {{ ref('fct_invoices') }}
),

plans as (
    select * from {{ ref('stg_plans') }}
),

recurring as (
    select
        month_start,
        plan_code,
        count(*) as plan_accounts,
        count(*) filter (where is_paying) as paying_accounts,
        sum(seats) as seats,
        sum(mrr_cents) as mrr_cents,
        count(*) filter (where mrr_movement = 'new') as new_accounts,
        count(*) filter (where mrr_movement in ('new', 'reactivation')) as won_accounts
    from mrr_monthly
    where plan_code is not null
    group by month_start, plan_code
),

churned as (
    -- Churned MRR belongs to the plan the account left, i.e. the previous month's plan.
    select
        current_month.month_start,
        previous_month.plan_code,
        count(*) as churned_accounts,
        sum(current_month.previous_mrr_cents) as churned_mrr_cents
    from mrr_monthly as current_month
    inner join mrr_monthly as previous_month
        on
            current_month.account_id = previous_month.account_id
            and previous_month.month_start
            = cast({{ dbt.dateadd('month', -1, 'current_month.month_start') }} as date)
    where current_month.mrr_movement = 'churn'
    group by current_month.month_start, previous_month.plan_code
),

billed as (
    select
        issued_month as month_start,
        plan_code,
        sum(amount_cents) filter (where invoice_status != 'void') as invoiced_cents,
        sum(amount_paid_cents) as collected_cents,
        sum(amount_outstanding_cents) as outstanding_cents
    from invoices
    group by issued_month, plan_code
),

plan_months as (
    select
        month_start,
        plan_code
    from recurring
    union
    select
        month_start,
        plan_code
    from churned
    union
    select
        month_start,
        plan_code
    from billed
),

final as (
    select
        {{ generate_surrogate_key(['plan_months.plan_code', 'plan_months.month_start']) }}
            as plan_month_id,
        plan_months.month_start,
        plan_months.plan_code,
        plans.plan_name,
        plans.plan_tier,
        coalesce(recurring.plan_accounts, 0) as plan_accounts,
        coalesce(recurring.paying_accounts, 0) as paying_accounts,
        coalesce(recurring.new_accounts, 0) as new_accounts,
        coalesce(churned.churned_accounts, 0) as churned_accounts,
        cast(coalesce(recurring.seats, 0) as bigint) as seats,
        cast(coalesce(recurring.mrr_cents, 0) as bigint) as mrr_cents,
        {{ cents_to_dollars('coalesce(recurring.mrr_cents, 0)') }} as mrr,
        cast(coalesce(churned.churned_mrr_cents, 0) as bigint) as churned_mrr_cents,
        {{ cents_to_dollars(safe_divide('recurring.mrr_cents', 'recurring.paying_accounts')) }}
            as average_revenue_per_paying_account,
        cast(coalesce(billed.invoiced_cents, 0) as bigint) as invoiced_cents,
        cast(coalesce(billed.collected_cents, 0) as bigint) as collected_cents,
        cast(coalesce(billed.outstanding_cents, 0) as bigint) as outstanding_cents,
        {{ cents_to_dollars('coalesce(billed.invoiced_cents, 0)') }} as invoiced,
        {{ cents_to_dollars('coalesce(billed.collected_cents, 0)') }} as collected
    from plan_months
    inner join plans
        on plan_months.plan_code = plans.plan_code
    left join recurring
        on
            plan_months.month_start = recurring.month_start
            and plan_months.plan_code = recurring.plan_code
    left join churned
        on
            plan_months.month_start = churned.month_start
            and plan_months.plan_code = churned.plan_code
    left join billed
        on
            plan_months.month_start = billed.month_start
            and plan_months.plan_code = billed.plan_code
)

select * from final
