-- Metric 8: share of leads whose engagement window (lead time + never_engaged_window_days) has
-- ended by as_of that had no conversation, lead_qualified or purchase within it, by month of the
-- lead time, attributed to the lead's owner and its lead_source.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        lead_month as period_start,
        rep_id,
        lead_source,
        is_engaged_in_window
    from {{ ref('int_leads') }}
    where is_engagement_window_reached

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id', 'lead_source']) }},
        sum({{ flag('not is_engaged_in_window') }}) as never_engaged_leads,
        count(*) as mature_leads
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
        cast(coalesce(aggregated.never_engaged_leads, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.mature_leads, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.never_engaged_leads, 0)', 'coalesce(aggregated.mature_leads, 0)') }}
            as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
