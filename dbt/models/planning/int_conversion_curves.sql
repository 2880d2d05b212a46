-- For a lead that has no first purchase at a forecast origin and is `start_age` months old in the
-- origin month: the probability that it makes its first purchase in each month from the origin
-- month (months_ahead 0, only the share of the month still ahead of the origin) to 12 months after.
--     month 0:  q0 = remaining_share * h(start_age)
--     month k:  p_k = (1 - q0) * prod_{0<j<k} (1 - h(start_age + j)) * h(start_age + k)
-- Curves exist for every source ('lead_source') and for all leads together ('all'), for each age
-- an open lead has at the origin and for age 0 (a lead created at the origin: the planner's).

{{ config(schema='intermediate') }}

{%- set tail = var('forecast_tail_age_months') %}

with

origins as (

    select origin_month, remaining_share from {{ ref('int_forecast_origins') }}

),

hazards as (

    select * from {{ ref('int_conversion_hazards') }}

),

open_ages as (

    select distinct
        origins.origin_month,
        cohorts.lead_source,
        {{ dbt.datediff('cohorts.lead_month', 'origins.origin_month', 'month') }} as start_age
    from {{ ref('int_lead_cohorts') }} as cohorts
    inner join origins
        on cohorts.lead_month <= origins.origin_month
        and (cohorts.first_purchase_month is null or cohorts.first_purchase_month > origins.origin_month)

),

starts as (

    select origin_month, cast('lead_source' as {{ dbt.type_string() }}) as dimension, lead_source as dimension_value, start_age
    from open_ages

    union

    select distinct origin_month, dimension, dimension_value, 0 as start_age
    from hazards

),

months_ahead as (

    select cast(generated_number as integer) - 1 as months_ahead
    from ({{ dbt.generate_series(13) }}) as series

),

steps as (

    select
        starts.origin_month,
        starts.dimension,
        starts.dimension_value,
        starts.start_age,
        months_ahead.months_ahead,
        case
            when months_ahead.months_ahead = 0 then origins.remaining_share * hazards.hazard
            else hazards.hazard
        end as step_hazard
    from starts
    inner join origins
        on origins.origin_month = starts.origin_month
    cross join months_ahead
    inner join hazards
        on hazards.origin_month = starts.origin_month
        and hazards.dimension = starts.dimension
        and hazards.dimension_value is not distinct from starts.dimension_value
        and hazards.age_band = least(starts.start_age + months_ahead.months_ahead, {{ tail }})

),

final as (

    select
        origin_month,
        dimension,
        dimension_value,
        start_age,
        months_ahead,
        cast(step_hazard * exp(coalesce(sum(ln(greatest(1 - step_hazard, 1e-12))) over (
            partition by origin_month, dimension, dimension_value, start_age
            order by months_ahead
            rows between unbounded preceding and 1 preceding
        ), 0)) as {{ type_double() }}) as probability
    from steps

)

select * from final
