-- The conversion forecast made at the end of past months (int_forecast_origins, 'backtest'),
-- beside what then happened: for each such origin, each month ahead that is complete at as_of,
-- for all leads and by lead source, the forecast and its 80% interval, and the first purchases that
-- the leads open at the origin actually made that month. The error per month ahead is in
-- docs/decisions.md and in the metadata of this asset.

with

as_of as (

    select last_complete_month from {{ ref('int_forecast_origins') }} where origin = 'as_of'

),

origins as (

    select origin_month from {{ ref('int_forecast_origins') }} where origin = 'backtest'

),

forecast as (

    select forecast.*
    from {{ ref('int_funnel_forecast') }} as forecast
    cross join as_of
    where forecast.origin = 'backtest'
        and forecast.months_ahead >= 1
        and forecast.period_start <= as_of.last_complete_month

),

-- First purchases, by month, of the leads created up to an origin month without one by its end.
happened as (

    select
        origins.origin_month,
        cohorts.first_purchase_month as period_start,
        cohorts.lead_source,
        cohorts.rep_id,
        sum(cohorts.leads) as actual
    from origins
    inner join {{ ref('int_lead_cohorts') }} as cohorts
        on cohorts.lead_month <= origins.origin_month
        and cohorts.first_purchase_month > origins.origin_month
    cross join as_of
    where cohorts.first_purchase_month <= as_of.last_complete_month
    group by origins.origin_month, cohorts.first_purchase_month, cohorts.lead_source, cohorts.rep_id

),

both_sides as (

    select
        origin_month,
        period_start,
        lead_source,
        expected,
        variance,
        0 as actual
    from forecast

    union all

    select
        origin_month,
        period_start,
        lead_source,
        0 as expected,
        0 as variance,
        actual
    from happened

),

final as (

    select
        origin_month,
        {{ dbt.datediff('origin_month', 'period_start', 'month') }} as months_ahead,
        period_start,
        {{ slice_columns(['lead_source']) }},
        cast(sum(expected) as {{ type_double() }}) as expected_new_customers,
        {{ forecast_low('sum(expected)', 'sum(variance)') }} as low,
        {{ forecast_high('sum(expected)', 'sum(variance)') }} as high,
        cast(sum(actual) as {{ type_double() }}) as actual_new_customers
    from both_sides
    group by {{ slices(['origin_month', 'period_start'], ['lead_source']) }}

)

select * from final
