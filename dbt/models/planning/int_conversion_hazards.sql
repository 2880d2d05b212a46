-- The monthly conversion hazard of a lead by its age, as known at each forecast origin: of the
-- leads still without a first purchase when they entered age a (a = calendar months since the
-- month of the lead; 0 = the lead's own month), the share that made it during that month.
--
-- Known at an origin = leads and first purchases up to its last complete month; a cohort's age a
-- counts only when month (lead month + a) is complete. Ages from `forecast_tail_age_months` on are
-- pooled into one tail band (few leads convert that late; one band keeps the estimate stable). An
-- age band no cohort has reached yet extrapolates the oldest band seen, declining by the ratio of
-- the two oldest seen bands when that is below 1 (else flat). A lead source's
-- hazard is shrunk towards the all-sources hazard by `forecast_prior_leads` pseudo-leads, so a
-- small source borrows strength instead of swinging:
--     h(source, band) = (conversions + prior * h(all, band)) / (at_risk + prior)

{{ config(schema='intermediate') }}

{%- set tail = var('forecast_tail_age_months') %}
{%- set prior = var('forecast_prior_leads') %}

with

origins as (

    select origin_month, last_complete_month from {{ ref('int_forecast_origins') }}

),

cohorts as (

    select
        lead_source,
        lead_month,
        first_purchase_month,
        sum(leads) as leads
    from {{ ref('int_lead_cohorts') }}
    group by lead_source, lead_month, first_purchase_month

),

cohort_sizes as (

    select lead_source, lead_month, sum(leads) as leads
    from cohorts
    group by lead_source, lead_month

),

conversions_by_age as (

    select
        lead_source,
        lead_month,
        {{ dbt.datediff('lead_month', 'first_purchase_month', 'month') }} as age,
        sum(leads) as conversions
    from cohorts
    where first_purchase_month is not null
    group by lead_source, lead_month, {{ dbt.datediff('lead_month', 'first_purchase_month', 'month') }}

),

ages as (

    select {{ dbt.datediff('first_month.period_start', 'int_months.period_start', 'month') }} as age
    from {{ ref('int_months') }} as int_months
    cross join (select min(period_start) as period_start from {{ ref('int_months') }}) as first_month

),

-- Every (origin, source, cohort, age) whose month is complete at the origin.
exposures as (

    select
        origins.origin_month,
        cohort_sizes.lead_source,
        cohort_sizes.lead_month,
        ages.age,
        cohort_sizes.leads,
        coalesce(conversions_by_age.conversions, 0) as conversions
    from origins
    inner join cohort_sizes
        on cohort_sizes.lead_month <= origins.last_complete_month
    inner join ages
        on ages.age <= {{ dbt.datediff('cohort_sizes.lead_month', 'origins.last_complete_month', 'month') }}
    left join conversions_by_age
        on conversions_by_age.lead_source = cohort_sizes.lead_source
        and conversions_by_age.lead_month = cohort_sizes.lead_month
        and conversions_by_age.age = ages.age

),

at_risk as (

    select
        origin_month,
        lead_source,
        least(age, {{ tail }}) as age_band,
        leads - coalesce(sum(conversions) over (
            partition by origin_month, lead_source, lead_month
            order by age
            rows between unbounded preceding and 1 preceding
        ), 0) as at_risk,
        conversions
    from exposures

),

by_source as (

    select
        origin_month,
        lead_source,
        age_band,
        sum(at_risk) as at_risk,
        sum(conversions) as conversions
    from at_risk
    group by origin_month, lead_source, age_band

),

by_all as (

    select
        origin_month,
        age_band,
        sum(at_risk) as at_risk,
        sum(conversions) as conversions
    from by_source
    group by origin_month, age_band

),

bands as (

    select cast(generated_number as integer) - 1 as age_band
    from ({{ dbt.generate_series(tail + 1) }}) as series

),

-- The oldest band seen up to each band: a band no cohort has reached yet extrapolates from it.
all_bands as (

    select
        origins.origin_month,
        bands.age_band,
        coalesce(by_all.at_risk, 0) as at_risk,
        coalesce(by_all.conversions, 0) as conversions,
        max(case when by_all.at_risk > 0 then bands.age_band end) over (
            partition by origins.origin_month
            order by bands.age_band
            rows between unbounded preceding and current row
        ) as seen_band
    from origins
    cross join bands
    left join by_all
        on by_all.origin_month = origins.origin_month
        and by_all.age_band = bands.age_band

),

-- Seen bands: conversions / at risk. Unseen ones: the oldest seen hazard, declining further by
-- the ratio of the two oldest seen bands per band (hazards fall with age; never rising).
all_hazards as (

    select
        all_bands.origin_month,
        all_bands.age_band,
        all_bands.at_risk,
        all_bands.conversions,
        coalesce(
            {{ ratio('seen.conversions', 'seen.at_risk') }}
            * power(
                case
                    when before_seen.conversions > 0
                        and {{ ratio('seen.conversions', 'seen.at_risk') }}
                            < {{ ratio('before_seen.conversions', 'before_seen.at_risk') }}
                    then {{ ratio('seen.conversions', 'seen.at_risk') }}
                        / {{ ratio('before_seen.conversions', 'before_seen.at_risk') }}
                    else 1
                end,
                all_bands.age_band - all_bands.seen_band
            ),
            0
        ) as hazard
    from all_bands
    left join by_all as seen
        on seen.origin_month = all_bands.origin_month
        and seen.age_band = all_bands.seen_band
    left join by_all as before_seen
        on before_seen.origin_month = all_bands.origin_month
        and before_seen.age_band = all_bands.seen_band - 1
        and before_seen.at_risk > 0

),

sources as (

    select distinct lead_source from cohorts

),

source_hazards as (

    select
        all_hazards.origin_month,
        all_hazards.age_band,
        sources.lead_source,
        coalesce(by_source.at_risk, 0) as at_risk,
        coalesce(by_source.conversions, 0) as conversions,
        (coalesce(by_source.conversions, 0) + {{ prior }} * all_hazards.hazard)
            / (coalesce(by_source.at_risk, 0) + {{ prior }}) as hazard
    from all_hazards
    cross join sources
    left join by_source
        on by_source.origin_month = all_hazards.origin_month
        and by_source.lead_source = sources.lead_source
        and by_source.age_band = all_hazards.age_band

),

final as (

    select
        origin_month,
        cast('all' as {{ dbt.type_string() }}) as dimension,
        cast(null as {{ dbt.type_string() }}) as dimension_value,
        age_band,
        cast(at_risk as {{ type_double() }}) as at_risk,
        cast(conversions as {{ type_double() }}) as conversions,
        cast(hazard as {{ type_double() }}) as hazard
    from all_hazards

    union all

    select
        origin_month,
        cast('lead_source' as {{ dbt.type_string() }}) as dimension,
        lead_source as dimension_value,
        age_band,
        cast(at_risk as {{ type_double() }}) as at_risk,
        cast(conversions as {{ type_double() }}) as conversions,
        cast(hazard as {{ type_double() }}) as hazard
    from source_hazards

)

select * from final
