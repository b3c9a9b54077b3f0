with account_months as (
    select * from {{ ref('int_account_mrr_monthly') }}
),

with_history as (
    select
        *,
        coalesce(lag(mrr_cents) over account_timeline, 0) as previous_mrr_cents,
        coalesce(
            bool_or(mrr_cents > 0) over (
                partition by account_id
                order by month_start
                rows between unbounded preceding and 1 preceding
            ),
            false
        ) as has_paid_before
    from account_months
    window account_timeline as (
        partition by account_id
        order by month_start
    )
),

classified as (
    select
        *,
        case
            when mrr_cents > 0 and previous_mrr_cents = 0 and has_paid_before then 'reactivation'
            when mrr_cents > 0 and previous_mrr_cents = 0 then 'new'
            when mrr_cents = 0 and previous_mrr_cents > 0 then 'churn'
            when mrr_cents > previous_mrr_cents then 'expansion'
            when mrr_cents < previous_mrr_cents then 'contraction'
            when mrr_cents > 0 then 'retained'
            else 'inactive'
        end as mrr_movement
    from with_history
),

final as (
    select
        account_month_id,
        account_id,
        month_start,
        plan_code,
        seats,
        mrr_movement,
        mrr_cents,
        previous_mrr_cents,
        mrr_cents - previous_mrr_cents as mrr_change_cents,
        {{ cents_to_dollars('mrr_cents') }} as mrr,
        {{ cents_to_dollars('mrr_cents - previous_mrr_cents') }} as mrr_change,
        mrr_cents * 12 as arr_cents,
        mrr_cents > 0 as is_paying,
        is_current_month
    from classified
)

select * from final
