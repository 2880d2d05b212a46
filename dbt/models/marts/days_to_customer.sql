-- Metric 5: days from lead time to first purchase (fractional, seconds / 86400), per lead that
-- became a customer, by month of the first purchase, attributed to the lead's owner (rep of its
-- first lead_created) and its lead_source. value = mean (numerator / denominator); median beside.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        first_purchase_month as period_start,
        rep_id,
        lead_source,
        days_to_customer
    from {{ ref('int_leads') }}
    where is_converted

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id', 'lead_source']) }},
        sum(days_to_customer) as days,
        count(*) as customers,
        percentile_cont(0.5) within group (order by days_to_customer) as median_days
    from facts
    group by {{ slices(['period_start'], ['rep_id', 'lead_source']) }}

),

grid as (

    {{ metric_grid('months', 'aggregated') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.days, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.customers, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.days, 0)', 'coalesce(aggregated.customers, 0)') }} as value,
        cast(aggregated.median_days as {{ type_double() }}) as median
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
