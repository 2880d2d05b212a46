-- How much of each forecast month falls in each target's period, from as_of on: the forecast
-- months (int_funnel_forecast, origin 'as_of') are the rest of the as_of month (months_ahead 0)
-- and the 12 months after; a target's share of a month is the part of [max(month start, as_of),
-- next month start) inside [period_start, period_end + 1 day), over the length of that part.
-- Conversions expected in a month are taken as spread evenly over it.

{{ config(schema='intermediate') }}

with

as_of as (

    select as_of, as_of_month from {{ ref('int_as_of') }}
    where as_of is not null

),

months_ahead as (

    select cast(generated_number as integer) - 1 as months_ahead
    from ({{ dbt.generate_series(13) }}) as series

),

windows as (

    select
        months_ahead.months_ahead,
        case
            when months_ahead.months_ahead = 0 then as_of.as_of
            else cast({{ add_months('as_of.as_of_month', 'months_ahead.months_ahead') }} as {{ dbt.type_timestamp() }})
        end as window_start,
        cast({{ add_months('as_of.as_of_month', 'months_ahead.months_ahead + 1') }} as {{ dbt.type_timestamp() }})
            as window_end
    from as_of
    cross join months_ahead

),

final as (

    select
        targets.period_start,
        targets.period_end,
        targets.measure,
        targets.dimension,
        targets.dimension_value,
        windows.months_ahead,
        cast(
            {{ overlap_seconds('windows.window_start', 'windows.window_end', 'targets.period_start_at', 'targets.period_end_at') }}
            / {{ seconds_between('windows.window_start', 'windows.window_end') }}
            as {{ type_double() }}
        ) as window_share
    from {{ ref('stg_sales_targets') }} as targets
    cross join windows
    where windows.window_end > windows.window_start
        and windows.window_end > targets.period_start_at
        and windows.window_start < targets.period_end_at

)

select * from final
