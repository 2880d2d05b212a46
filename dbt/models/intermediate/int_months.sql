-- The month spine: every month from the first month of the (as_of-filtered) events to the month
-- of as_of, so that every mart has a row for every month, also months without activity.
-- Portable: a series of integers (dbt.generate_series) turned into months with dbt.dateadd.
-- 2400 months (200 years) bounds the span.

{%- set max_months = 2400 %}

with

bounds as (

    select
        min(events.event_month) as first_month,
        max(as_of.as_of_month) as last_month
    from {{ ref('int_events') }} as events
    cross join {{ ref('int_as_of') }} as as_of

),

month_offsets as (

    select cast(generated_number as integer) - 1 as month_offset
    from ({{ dbt.generate_series(max_months) }}) as series

),

final as (

    select
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset', 'bounds.first_month') }} as date)
            as period_start
    from bounds
    cross join month_offsets
    where month_offsets.month_offset
        <= {{ dbt.datediff('bounds.first_month', 'bounds.last_month', 'month') }}

)

select * from final
