-- For each new_customers target whose period is not over: how far the customers so far and the
-- first purchases expected from the open funnel fall short of it (gap), the probability that a
-- lead created at as_of makes its first purchase within the period (conversion_by_period_end: late
-- leads have less time; for a period that starts later, only a purchase inside it counts), and
-- the new leads that would close the gap: leads_needed = gap / conversion_by_period_end.
--
-- Slices: a target by lead_source or rep_id gives one row, its own (a rep's leads convert like all
-- leads). A target for 'all' gives a row for the current lead mix ('all') and one per lead source:
-- the leads of that source alone that would close the whole gap, each source at its own rate and
-- speed; where the file also has a target for that source and period, that target's row stands
-- instead. When the chance of converting in time is below `min_conversion_by_period_end`, no number
-- of new leads closes the gap: leads_needed is null (gap > 0 and leads_needed null says so).

with

as_of as (

    select as_of from {{ ref('int_as_of') }}
    where as_of is not null

),

open_targets as (

    select
        pacing.period_start,
        pacing.period_end,
        pacing.dimension,
        pacing.dimension_value,
        pacing.target,
        pacing.actual_to_date as customers_to_date,
        pacing.expected_at_period_end - pacing.actual_to_date as expected_from_funnel
    from {{ ref('target_pacing') }} as pacing
    cross join as_of
    where pacing.measure = 'new_customers'
        and as_of.as_of < cast({{ dbt.dateadd('day', 1, 'pacing.period_end') }} as {{ dbt.type_timestamp() }})

),

lead_sources as (

    select distinct dimension_value as lead_source
    from {{ ref('int_conversion_hazards') }}
    where dimension = 'lead_source'

),

-- (target, slice of the row, conversion curve the new leads follow)
rows_to_plan as (

    select
        open_targets.*,
        open_targets.dimension as row_dimension,
        open_targets.dimension_value as row_dimension_value,
        case when open_targets.dimension = 'lead_source' then 'lead_source' else 'all' end as curve_dimension,
        case when open_targets.dimension = 'lead_source' then open_targets.dimension_value end as curve_value
    from open_targets

    union all

    select
        open_targets.*,
        'lead_source' as row_dimension,
        lead_sources.lead_source as row_dimension_value,
        'lead_source' as curve_dimension,
        lead_sources.lead_source as curve_value
    from open_targets
    cross join lead_sources
    where open_targets.dimension = 'all'
        and not exists (
            select 1
            from open_targets as own
            where own.dimension = 'lead_source'
                and own.dimension_value = lead_sources.lead_source
                and own.period_start = open_targets.period_start
                and own.period_end = open_targets.period_end
        )

),

new_lead_curves as (

    select dimension, dimension_value, months_ahead, probability
    from {{ ref('int_conversion_curves') }}
    where start_age = 0
        and origin_month = (select origin_month from {{ ref('int_forecast_origins') }} where origin = 'as_of')

),

conversion_in_period as (

    select
        rows_to_plan.period_start,
        rows_to_plan.period_end,
        rows_to_plan.dimension,
        rows_to_plan.dimension_value,
        rows_to_plan.row_dimension,
        rows_to_plan.row_dimension_value,
        sum(new_lead_curves.probability * windows.window_share) as conversion_by_period_end
    from rows_to_plan
    inner join {{ ref('int_target_windows') }} as windows
        on windows.measure = 'new_customers'
        and windows.period_start = rows_to_plan.period_start
        and windows.period_end = rows_to_plan.period_end
        and windows.dimension = rows_to_plan.dimension
        and windows.dimension_value is not distinct from rows_to_plan.dimension_value
    inner join new_lead_curves
        on new_lead_curves.months_ahead = windows.months_ahead
        and new_lead_curves.dimension = rows_to_plan.curve_dimension
        and new_lead_curves.dimension_value is not distinct from rows_to_plan.curve_value
    group by
        rows_to_plan.period_start,
        rows_to_plan.period_end,
        rows_to_plan.dimension,
        rows_to_plan.dimension_value,
        rows_to_plan.row_dimension,
        rows_to_plan.row_dimension_value

),

planned as (

    select
        rows_to_plan.period_start,
        rows_to_plan.period_end,
        rows_to_plan.row_dimension as dimension,
        rows_to_plan.row_dimension_value as dimension_value,
        rows_to_plan.target,
        rows_to_plan.customers_to_date,
        rows_to_plan.expected_from_funnel,
        greatest(rows_to_plan.target - rows_to_plan.customers_to_date - rows_to_plan.expected_from_funnel, 0)
            as gap,
        coalesce(conversion_in_period.conversion_by_period_end, 0) as conversion_by_period_end
    from rows_to_plan
    left join conversion_in_period
        on conversion_in_period.period_start = rows_to_plan.period_start
        and conversion_in_period.period_end = rows_to_plan.period_end
        and conversion_in_period.dimension = rows_to_plan.dimension
        and conversion_in_period.dimension_value is not distinct from rows_to_plan.dimension_value
        and conversion_in_period.row_dimension = rows_to_plan.row_dimension
        and conversion_in_period.row_dimension_value is not distinct from rows_to_plan.row_dimension_value

),

final as (

    select
        period_start,
        period_end,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(target as {{ type_double() }}) as target,
        cast(customers_to_date as {{ type_double() }}) as customers_to_date,
        cast(expected_from_funnel as {{ type_double() }}) as expected_from_funnel,
        cast(gap as {{ type_double() }}) as gap,
        cast(conversion_by_period_end as {{ type_double() }}) as conversion_by_period_end,
        cast(case
            when gap = 0 then 0
            when conversion_by_period_end >= {{ var('min_conversion_by_period_end') }}
            then gap / conversion_by_period_end
        end as {{ type_double() }}) as leads_needed
    from planned

)

select * from final
