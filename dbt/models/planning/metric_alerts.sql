-- One row per (metric, month, slice) whose value turned in the worse direction (docs/decisions.md).
-- Each testable month (int_alert_series) is scored against the months before it, one-sided:
--   rates   two-proportion z test of the month (numerator / denominator) against the pooled
--           `alert_rate_baseline_months` (6) before it; both sides need `alert_min_denominator`
--           (30) members, the baseline `alert_rate_min_baseline_months` (3) months;
--           z = (p - p0) / sqrt(q (1 - q) (1/n + 1/n0)), q the pooled rate of both
--   robust  counts and means against the median M and the MAD of the
--           `alert_robust_baseline_months` (12) before it (at least
--           `alert_robust_min_baseline_months`, 6): score = (value - M) / (1.4826 MAD), the scale
--           not below sqrt(M) for counts (Poisson noise); a mean needs `alert_min_denominator`
--           members, in the month and in each baseline month
-- score is signed so that positive is worse. A month alerts when its score reaches `alert_rate_z`
-- (3.0) or `alert_robust_score` (3.5) and the month before did not: a turn alerts once, a level
-- that stays bad does not repeat it every month.

{%- set min_denominator = var('alert_min_denominator') %}

with

series as (

    select * from {{ ref('int_alert_series') }}

),

tested as (

    select * from series
    where value is not null
        and (denominator is null or denominator >= {{ min_denominator }})

),

rate_baselines as (

    select
        tested.metric,
        tested.period_start,
        tested.dimension,
        tested.dimension_value,
        sum(earlier.numerator) as baseline_numerator,
        sum(earlier.denominator) as baseline_denominator,
        count(*) as baseline_months
    from tested
    inner join series as earlier
        on earlier.metric = tested.metric
        and earlier.dimension = tested.dimension
        and earlier.dimension_value is not distinct from tested.dimension_value
        and earlier.period_start < tested.period_start
        and earlier.period_start >= {{ add_months('tested.period_start', -var('alert_rate_baseline_months')) }}
        and earlier.denominator > 0
    where tested.test = 'rate'
    group by tested.metric, tested.period_start, tested.dimension, tested.dimension_value

),

rate_scores as (

    select
        tested.metric,
        tested.period_start,
        tested.dimension,
        tested.dimension_value,
        tested.value,
        tested.denominator,
        tested.better,
        tested.test,
        baselines.baseline_numerator / baselines.baseline_denominator as baseline,
        baselines.baseline_denominator,
        baselines.baseline_months,
        (tested.numerator + baselines.baseline_numerator)
            / (tested.denominator + baselines.baseline_denominator) as pooled
    from tested
    inner join rate_baselines as baselines
        on baselines.metric = tested.metric
        and baselines.period_start = tested.period_start
        and baselines.dimension = tested.dimension
        and baselines.dimension_value is not distinct from tested.dimension_value
    where baselines.baseline_denominator >= {{ min_denominator }}
        and baselines.baseline_months >= {{ var('alert_rate_min_baseline_months') }}

),

robust_windows as (

    select
        tested.metric,
        tested.period_start,
        tested.dimension,
        tested.dimension_value,
        earlier.value as earlier_value
    from tested
    inner join tested as earlier
        on earlier.metric = tested.metric
        and earlier.dimension = tested.dimension
        and earlier.dimension_value is not distinct from tested.dimension_value
        and earlier.period_start < tested.period_start
        and earlier.period_start >= {{ add_months('tested.period_start', -var('alert_robust_baseline_months')) }}
    where tested.test = 'robust'

),

robust_medians as (

    select
        metric,
        period_start,
        dimension,
        dimension_value,
        {{ median_of('earlier_value') }} as baseline,
        count(*) as baseline_months
    from robust_windows
    group by metric, period_start, dimension, dimension_value

),

robust_spreads as (

    select
        robust_windows.metric,
        robust_windows.period_start,
        robust_windows.dimension,
        robust_windows.dimension_value,
        {{ median_of('abs(robust_windows.earlier_value - robust_medians.baseline)') }} as mad
    from robust_windows
    inner join robust_medians
        on robust_medians.metric = robust_windows.metric
        and robust_medians.period_start = robust_windows.period_start
        and robust_medians.dimension = robust_windows.dimension
        and robust_medians.dimension_value is not distinct from robust_windows.dimension_value
    group by robust_windows.metric, robust_windows.period_start, robust_windows.dimension, robust_windows.dimension_value

),

robust_scores as (

    select
        tested.metric,
        tested.period_start,
        tested.dimension,
        tested.dimension_value,
        tested.value,
        tested.denominator,
        tested.better,
        tested.test,
        medians.baseline,
        medians.baseline_months,
        case
            when tested.denominator is null then greatest(1.4826 * spreads.mad, sqrt(medians.baseline))
            else 1.4826 * spreads.mad
        end as scale
    from tested
    inner join robust_medians as medians
        on medians.metric = tested.metric
        and medians.period_start = tested.period_start
        and medians.dimension = tested.dimension
        and medians.dimension_value is not distinct from tested.dimension_value
    inner join robust_spreads as spreads
        on spreads.metric = tested.metric
        and spreads.period_start = tested.period_start
        and spreads.dimension = tested.dimension
        and spreads.dimension_value is not distinct from tested.dimension_value
    where medians.baseline_months >= {{ var('alert_robust_min_baseline_months') }}

),

scored as (

    select
        metric,
        period_start,
        dimension,
        dimension_value,
        value,
        denominator,
        better,
        test,
        baseline,
        baseline_denominator,
        baseline_months,
        case
            when pooled > 0 and pooled < 1
            then (case when better = 'down' then 1 else -1 end) * (value - baseline)
                / sqrt(pooled * (1 - pooled) * (1 / denominator + 1 / baseline_denominator))
        end as score,
        {{ var('alert_rate_z') }} as threshold
    from rate_scores

    union all

    select
        metric,
        period_start,
        dimension,
        dimension_value,
        value,
        denominator,
        better,
        test,
        baseline,
        null as baseline_denominator,
        baseline_months,
        case
            when scale > 0 then (case when better = 'down' then 1 else -1 end) * (value - baseline) / scale
        end as score,
        {{ var('alert_robust_score') }} as threshold
    from robust_scores

),

flagged as (

    select
        scored.*,
        coalesce(scored.score >= scored.threshold, false) as is_worse,
        coalesce(previous.score >= previous.threshold, false) as was_worse
    from scored
    left join scored as previous
        on previous.metric = scored.metric
        and previous.dimension = scored.dimension
        and previous.dimension_value is not distinct from scored.dimension_value
        and previous.period_start = {{ add_months('scored.period_start', -1) }}

),

alerts as (

    select * from flagged
    where is_worse and not was_worse

),

final as (

    select
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(period_start as date) as period_start,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(value as {{ type_double() }}) as value,
        cast(baseline as {{ type_double() }}) as baseline,
        cast(denominator as {{ type_double() }}) as denominator,
        cast(score as {{ type_double() }}) as score,
        cast({{ dbt.concat([
            "metric",
            "' ('",
            "case when dimension = 'all' then 'all' else " ~ dbt.concat(["dimension", "' '", "dimension_value"]) ~ " end",
            "') '",
            "case when better = 'down' then 'rose to ' else 'fell to ' end",
            "case
                when test = 'rate' then " ~ dbt.concat([number_text('100 * value'), "'% of '", whole_text('denominator')]) ~ "
                when denominator is null then " ~ whole_text('value') ~ "
                else " ~ dbt.concat([number_text('value'), "' (mean of '", whole_text('denominator'), "')'"]) ~ "
            end",
            "' in '",
            "substring(cast(period_start as " ~ dbt.type_string() ~ "), 1, 7)",
            "case
                when test = 'rate' then " ~ dbt.concat(["', against '", number_text('100 * baseline'), "'% of '", whole_text('baseline_denominator'), "' in the '", whole_text('baseline_months'), "' months before (z = '", number_text('score'), "')'"]) ~ "
                else " ~ dbt.concat(["', against a median of '", number_text('baseline'), "' over the '", whole_text('baseline_months'), "' months before (robust score '", number_text('score'), "')'"]) ~ "
            end",
            "case when metric = 'prospect_conversion_rate' then '" ~ "; leads converted within " ~ var('alert_conversion_age_months') ~ " months after their lead month, at equal age' else '' end",
        ]) }} as {{ dbt.type_string() }}) as message
    from alerts

)

select * from final
