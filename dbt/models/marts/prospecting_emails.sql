-- Metric 3: outbound sales emails to prospects, by month of the email, attributed to the event's
-- rep; beside it the prospect calls of the same slice, emails per call, and the correlation of
-- daily emails and calls. The slices are those of the emails (a rep with prospect calls only is
-- not one); 'all' counts every prospect call.

with

months as (

    select period_start from {{ ref('int_months') }}

),

facts as (

    select
        event_month as period_start,
        rep_id,
        activity_date,
        prospecting_emails as emails,
        prospect_calls as calls
    from {{ ref('int_activity_days') }}
    where prospecting_emails > 0 or prospect_calls > 0

),

aggregated as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        sum(emails) as emails,
        sum(calls) as calls
    from facts
    group by {{ slices(['period_start'], ['rep_id']) }}

),

-- Days of the month with at least one prospecting email or prospect call, per slice.
daily as (

    select
        period_start,
        {{ slice_columns(['rep_id']) }},
        activity_date,
        sum(emails) as emails,
        sum(calls) as calls
    from facts
    group by {{ slices(['period_start', 'activity_date'], ['rep_id']) }}

),

-- Pearson correlation across those days; null with fewer than 3 days or a constant series.
correlations as (

    select
        period_start,
        dimension,
        dimension_value,
        case
            when count(*) >= 3 and count(distinct emails) > 1 and count(distinct calls) > 1
            then corr(cast(emails as {{ type_double() }}), cast(calls as {{ type_double() }}))
        end as email_call_correlation
    from daily
    group by period_start, dimension, dimension_value

),

email_slices as (

    select dimension, dimension_value from aggregated where emails > 0

),

grid as (

    {{ metric_grid('months', 'email_slices') }}

),

final as (

    select
        grid.period_start,
        grid.dimension,
        grid.dimension_value,
        cast(coalesce(aggregated.emails, 0) as {{ type_double() }}) as numerator,
        cast(null as {{ type_double() }}) as denominator,
        cast(coalesce(aggregated.emails, 0) as {{ type_double() }}) as value,
        cast(coalesce(aggregated.calls, 0) as {{ dbt.type_bigint() }}) as prospect_calls,
        {{ ratio('coalesce(aggregated.emails, 0)', 'aggregated.calls') }} as emails_per_call,
        correlations.email_call_correlation
    from grid
    left join aggregated
        on {{ same_slice('grid', 'aggregated') }}
    left join correlations
        on {{ same_slice('grid', 'correlations') }}

)

select * from final
