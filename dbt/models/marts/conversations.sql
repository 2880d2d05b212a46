-- Metric 1: conversations by month of the conversation, attributed to the event's rep.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        event_month as period_start,
        rep_id,
        conversations
    from {{ ref('int_activity_days') }}
    where conversations > 0

),

sliced as (

    {{ slice_by('facts', ['rep_id']) }}

),

aggregated as (

    select
        period_start,
        dimension,
        dimension_value,
        sum(conversations) as conversations
    from sliced
    group by period_start, dimension, dimension_value

),

grid as (

    {{ metric_grid('months', 'sliced') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.conversations, 0) as {{ type_double() }}) as numerator,
        cast(null as {{ type_double() }}) as denominator,
        cast(coalesce(aggregated.conversations, 0) as {{ type_double() }}) as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
