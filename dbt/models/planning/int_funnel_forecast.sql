-- Expected first purchases from the open funnel at each forecast origin: the leads created up to
-- the origin that have no first purchase then, by lead source and owner, for the origin month (the
-- part still ahead) and each of the 12 months after. Each open lead converts in month k with the
-- probability of its source's curve (int_conversion_curves); a month's count is a sum of such
-- independent Bernoulli draws, so its mean is sum(p) and its variance sum(p * (1 - p)).

{{ config(schema='intermediate') }}

with

origins as (

    select origin, origin_month from {{ ref('int_forecast_origins') }}

),

open_leads as (

    select
        origins.origin,
        origins.origin_month,
        cohorts.lead_source,
        cohorts.rep_id,
        {{ dbt.datediff('cohorts.lead_month', 'origins.origin_month', 'month') }} as start_age,
        sum(cohorts.leads) as open_leads
    from {{ ref('int_lead_cohorts') }} as cohorts
    inner join origins
        on cohorts.lead_month <= origins.origin_month
        and (cohorts.first_purchase_month is null or cohorts.first_purchase_month > origins.origin_month)
    group by
        origins.origin,
        origins.origin_month,
        cohorts.lead_source,
        cohorts.rep_id,
        {{ dbt.datediff('cohorts.lead_month', 'origins.origin_month', 'month') }}

),

forecast as (

    select
        open_leads.origin,
        open_leads.origin_month,
        curves.months_ahead,
        open_leads.lead_source,
        open_leads.rep_id,
        open_leads.open_leads,
        open_leads.open_leads * curves.probability as expected,
        open_leads.open_leads * curves.probability * (1 - curves.probability) as variance
    from open_leads
    inner join {{ ref('int_conversion_curves') }} as curves
        on curves.origin_month = open_leads.origin_month
        and curves.dimension = 'lead_source'
        and curves.dimension_value = open_leads.lead_source
        and curves.start_age = open_leads.start_age

),

final as (

    select
        origin,
        origin_month,
        months_ahead,
        {{ add_months('origin_month', 'months_ahead') }} as period_start,
        lead_source,
        rep_id,
        cast(sum(open_leads) as {{ type_double() }}) as open_leads,
        cast(sum(expected) as {{ type_double() }}) as expected,
        cast(sum(variance) as {{ type_double() }}) as variance
    from forecast
    group by origin, origin_month, months_ahead, lead_source, rep_id

)

select * from final
