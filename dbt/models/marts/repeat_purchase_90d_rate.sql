-- Metric 9: share of customers whose repeat window (first purchase + repeat_purchase_window_days)
-- has ended by as_of that made another purchase within it, by month of the first purchase,
-- attributed to the first purchase's rep.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        first_purchase_month as period_start,
        rep_id,
        has_repeat_purchase
    from {{ ref('int_customers') }}
    where is_repeat_window_reached

),

sliced as (

    {{ slice_by('facts', ['rep_id']) }}

),

aggregated as (

    select
        period_start,
        dimension,
        dimension_value,
        sum({{ flag('has_repeat_purchase') }}) as repeat_customers,
        count(*) as mature_customers
    from sliced
    group by period_start, dimension, dimension_value

),

grid as (

    {{ metric_grid('months', 'sliced') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.repeat_customers, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.mature_customers, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.repeat_customers, 0)', 'coalesce(aggregated.mature_customers, 0)') }}
            as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
