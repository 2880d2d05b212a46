-- Metric 2: outbound sales calls to prospects (any outcome), by month of the call, attributed to
-- the event's rep.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        event_month as period_start,
        rep_id,
        prospect_calls
    from {{ ref('int_activity_days') }}
    where prospect_calls > 0

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        sum(prospect_calls) as prospect_calls
    from facts
    group by {{ slices(['period_start'], ['rep_id']) }}

),

grid as (

    {{ metric_grid('months', 'aggregated') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.prospect_calls, 0) as {{ type_double() }}) as numerator,
        cast(null as {{ type_double() }}) as denominator,
        cast(coalesce(aggregated.prospect_calls, 0) as {{ type_double() }}) as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
