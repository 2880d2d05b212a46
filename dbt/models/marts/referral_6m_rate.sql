-- Metric 10: share of customers whose referral window (first purchase + referral_window_months
-- calendar months) has ended by as_of that made a valid referral within it, by month of the first
-- purchase, attributed to the first purchase's rep.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        first_purchase_month as period_start,
        rep_id,
        has_valid_referral
    from {{ ref('int_customers') }}
    where is_referral_window_reached

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        sum({{ flag('has_valid_referral') }}) as referring_customers,
        count(*) as mature_customers
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
        cast(coalesce(aggregated.referring_customers, 0) as {{ type_double() }}) as numerator,
        cast(coalesce(aggregated.mature_customers, 0) as {{ type_double() }}) as denominator,
        {{ ratio('coalesce(aggregated.referring_customers, 0)', 'coalesce(aggregated.mature_customers, 0)') }}
            as value
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}

)

select * from final
