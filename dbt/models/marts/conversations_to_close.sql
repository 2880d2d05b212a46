-- Metric 4: conversations from qualification to first purchase, per customer qualified at or
-- before its first purchase, by month of the first purchase, attributed to the first purchase's
-- rep. value = mean (numerator / denominator); median beside it.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        first_purchase_month as period_start,
        rep_id,
        conversations_to_close
    from {{ ref('int_customers') }}
    where is_qualified_by_first_purchase

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        sum(conversations_to_close) as conversations,
        count(*) as customers,
        percentile_cont(0.5) within group (order by conversations_to_close) as median_conversations
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
        cast(coalesce(aggregated.conversations, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.customers, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.conversations, 0)', 'coalesce(aggregated.customers, 0)') }} as value,
        cast(aggregated.median_conversations as {{ type_double() }}) as median
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
