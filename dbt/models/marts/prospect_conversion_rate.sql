-- Metric 6: share of leads that became customers (first purchase at or after the lead time, up
-- to as_of), by month of the lead time, attributed to the lead's owner and its lead_source.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        lead_month as period_start,
        rep_id,
        lead_source,
        is_converted
    from {{ ref('int_leads') }}

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id', 'lead_source']) }},
        sum({{ flag('is_converted') }}) as converted_leads,
        count(*) as leads
    from facts
    group by {{ slices(['period_start'], ['rep_id', 'lead_source']) }}

),

grid as (

    {{ metric_grid('months', 'aggregated') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.converted_leads, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.leads, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.converted_leads, 0)', 'coalesce(aggregated.leads, 0)') }} as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
