-- The first purchases expected in each of the 12 months after the as_of month from the leads
-- created up to as_of that are not customers at as_of, for all leads and by lead source, with an
-- 80% interval: the count is a sum of independent Bernoulli draws (Poisson-binomial), approximated
-- by a normal distribution, mean +- 1.2816 standard deviations, floored at 0. (docs/decisions.md)

with

forecast as (

    select * from {{ ref('int_funnel_forecast') }}
    where origin = 'as_of' and months_ahead between 1 and 12

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['lead_source']) }},
        sum(expected) as expected,
        sum(variance) as variance
    from forecast
    group by {{ slices(['period_start'], ['lead_source']) }}

),

-- Every month for 'all' and every lead source, also months without an open lead.
months as (

    select {{ add_months('as_of_month', 'months_ahead.months_ahead') }} as period_start
    from {{ ref('int_as_of') }}
    cross join (
        select cast(generated_number as integer) as months_ahead
        from ({{ dbt.generate_series(12) }}) as series
    ) as months_ahead
    where as_of is not null

),

lead_sources as (

    select distinct 'lead_source' as dimension, lead_source as dimension_value
    from {{ ref('int_lead_cohorts') }}

),

grid as (

    {{ metric_grid('months', 'lead_sources') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.expected, 0) as {{ type_double() }}) as expected_new_customers,
        {{ forecast_low('coalesce(aggregated.expected, 0)', 'coalesce(aggregated.variance, 0)') }} as low,
        {{ forecast_high('coalesce(aggregated.expected, 0)', 'coalesce(aggregated.variance, 0)') }} as high
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
