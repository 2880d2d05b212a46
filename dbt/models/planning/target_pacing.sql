-- Each target of the targets file against what happened up to as_of, and where the period is
-- heading (docs/decisions.md):
--   actual_to_date          what the measure counts in [period_start, period_end] up to as_of
--   expected_at_period_end  new_customers: actual_to_date + the first purchases expected within the
--                           period from the funnel open at as_of (int_funnel_forecast);
--                           other measures: the run rate of the period so far (actual / elapsed
--                           time * period length); a period not started yet is paced at the rate
--                           of the `pacing_trailing_days` before as_of; a period over: the actual
--   status                  ahead / behind when expected_at_period_end is above / below the target
--                           by more than `pacing_tolerance` (5%) of it, else on_track
-- Slices: 'all'; rep_id = the rep of the first purchase, purchase or activity; lead_source = the
-- contact's lead source (customers that were never leads count in 'all' and rep_id only). A
-- new_customers target by rep_id gets the funnel of the leads that rep owns.

{%- set tolerance = var('pacing_tolerance') %}

with

as_of as (

    select as_of from {{ ref('int_as_of') }}
    where as_of is not null

),

targets as (

    select * from {{ ref('stg_sales_targets') }}

),

data_start as (

    select cast(min(period_start) as {{ dbt.type_timestamp() }}) as data_start from {{ ref('int_months') }}

),

-- The rate window for periods not started yet: the trailing days, or less when the data is younger.
trailing_window as (

    select
        greatest({{ dbt.dateadd('day', -var('pacing_trailing_days'), 'as_of.as_of') }}, data_start.data_start)
            as trailing_start,
        as_of.as_of as trailing_end
    from as_of
    cross join data_start

),

-- The facts summed by day, with the rows after the trailing window's start (not at midnight)
-- summed apart: the targets' periods start and end at midnight, so every sum below is the same as
-- over the rows, from about a tenth as many.
daily_facts as (

    select
        facts.measure,
        facts.rep_id,
        facts.lead_source,
        cast(facts.occurred_at as date) as occurred_on,
        facts.occurred_at > trailing_window.trailing_start as is_trailing,
        sum(facts.quantity) as quantity
    from {{ ref('int_target_facts') }} as facts
    cross join trailing_window
    group by
        facts.measure,
        facts.rep_id,
        facts.lead_source,
        cast(facts.occurred_at as date),
        facts.occurred_at > trailing_window.trailing_start

),

sliced_facts as (

    select 'all' as dimension, cast(null as {{ dbt.type_string() }}) as dimension_value, measure, occurred_on, is_trailing, quantity
    from daily_facts

    union all

    select 'rep_id' as dimension, coalesce(rep_id, 'unknown') as dimension_value, measure, occurred_on, is_trailing, quantity
    from daily_facts

    union all

    select 'lead_source' as dimension, lead_source as dimension_value, measure, occurred_on, is_trailing, quantity
    from daily_facts
    where lead_source is not null

),

actuals as (

    select
        targets.period_start,
        targets.period_end,
        targets.measure,
        targets.dimension,
        targets.dimension_value,
        sum(case
            when sliced_facts.occurred_on between targets.period_start and targets.period_end
            then sliced_facts.quantity else 0
        end) as actual_to_date,
        sum(case when sliced_facts.is_trailing then sliced_facts.quantity else 0 end) as trailing_actual
    from targets
    left join sliced_facts
        on sliced_facts.measure = targets.measure
        and sliced_facts.dimension = targets.dimension
        and sliced_facts.dimension_value is not distinct from targets.dimension_value
        and (
            sliced_facts.occurred_on between targets.period_start and targets.period_end
            or sliced_facts.is_trailing
        )
    group by targets.period_start, targets.period_end, targets.measure, targets.dimension, targets.dimension_value

),

funnel as (

    select * from {{ ref('int_funnel_forecast') }}
    where origin = 'as_of'

),

sliced_funnel as (

    {{ slice_by('funnel', ['rep_id', 'lead_source']) }}

),

-- First purchases expected within each new_customers target's period from the open funnel.
expected_from_funnel as (

    select
        windows.period_start,
        windows.period_end,
        windows.measure,
        windows.dimension,
        windows.dimension_value,
        sum(sliced_funnel.expected * windows.window_share) as expected_from_funnel
    from {{ ref('int_target_windows') }} as windows
    inner join sliced_funnel
        on sliced_funnel.months_ahead = windows.months_ahead
        and sliced_funnel.dimension = windows.dimension
        and sliced_funnel.dimension_value is not distinct from windows.dimension_value
    where windows.measure = 'new_customers'
    group by windows.period_start, windows.period_end, windows.measure, windows.dimension, windows.dimension_value

),

paced as (

    select
        targets.period_start,
        targets.period_end,
        targets.measure,
        targets.dimension,
        targets.dimension_value,
        targets.target,
        coalesce(actuals.actual_to_date, 0) as actual_to_date,
        case
            when as_of.as_of >= targets.period_end_at then coalesce(actuals.actual_to_date, 0)
            when targets.measure = 'new_customers'
            then coalesce(actuals.actual_to_date, 0) + coalesce(expected_from_funnel.expected_from_funnel, 0)
            when as_of.as_of > targets.period_start_at
            then coalesce(actuals.actual_to_date, 0)
                * {{ seconds_between('targets.period_start_at', 'targets.period_end_at') }}
                / {{ seconds_between('targets.period_start_at', 'as_of.as_of') }}
            when trailing_window.trailing_end > trailing_window.trailing_start
            then coalesce(actuals.trailing_actual, 0)
                * {{ seconds_between('targets.period_start_at', 'targets.period_end_at') }}
                / {{ seconds_between('trailing_window.trailing_start', 'trailing_window.trailing_end') }}
            else 0
        end as expected_at_period_end
    from targets
    cross join as_of
    cross join trailing_window
    left join actuals
        on actuals.period_start = targets.period_start
        and actuals.period_end = targets.period_end
        and actuals.measure = targets.measure
        and actuals.dimension = targets.dimension
        and actuals.dimension_value is not distinct from targets.dimension_value
    left join expected_from_funnel
        on expected_from_funnel.period_start = targets.period_start
        and expected_from_funnel.period_end = targets.period_end
        and expected_from_funnel.measure = targets.measure
        and expected_from_funnel.dimension = targets.dimension
        and expected_from_funnel.dimension_value is not distinct from targets.dimension_value

),

final as (

    select
        period_start,
        period_end,
        measure,
        dimension,
        dimension_value,
        target,
        cast(actual_to_date as {{ type_double() }}) as actual_to_date,
        cast(expected_at_period_end as {{ type_double() }}) as expected_at_period_end,
        cast(case
            when expected_at_period_end > target * (1 + {{ tolerance }}) then 'ahead'
            when expected_at_period_end < target * (1 - {{ tolerance }}) then 'behind'
            else 'on_track'
        end as {{ dbt.type_string() }}) as status
    from paced

)

select * from final
