-- Metric 7: share of decided offers (won or lost; open ones excluded) that were lost, by month of
-- the offer's sending, attributed to the rep of its first offer_sent; won, lost and open counts
-- beside it. The slices are those of the decided offers (a rep with open offers only is not one).

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        sent_month as period_start,
        rep_id,
        outcome
    from {{ ref('int_offers') }}

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        sum({{ flag("outcome = 'won'") }}) as won_offers,
        sum({{ flag("outcome = 'lost'") }}) as lost_offers,
        sum({{ flag("outcome = 'open'") }}) as open_offers
    from facts
    group by {{ slices(['period_start'], ['rep_id']) }}

),

decided_slices as (

    select dimension, dimension_value from aggregated where won_offers + lost_offers > 0

),

grid as (

    {{ metric_grid('months', 'decided_slices') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.lost_offers, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.won_offers + aggregated.lost_offers, 0) as {{ type_double() }})
            as denominator,
        {{ ratio('coalesce(aggregated.lost_offers, 0)', 'coalesce(aggregated.won_offers + aggregated.lost_offers, 0)') }}
            as value,
        cast(coalesce(aggregated.won_offers, 0) as {{ dbt.type_bigint() }}) as won_offers,
        cast(coalesce(aggregated.lost_offers, 0) as {{ dbt.type_bigint() }}) as lost_offers,
        cast(coalesce(aggregated.open_offers, 0) as {{ dbt.type_bigint() }}) as open_offers
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
