-- The monthly values metric_alerts tests, only where a month can be compared with earlier ones:
--   counts, means and offer_loss_rate: every month before the as_of month (that one is not over);
--   never_engaged_rate, repeat_purchase_90d_rate, referral_6m_rate (cohort metrics): only months
--     whose every member's window has ended by as_of (month end + the window <= as_of), so every
--     month is compared at the same age;
--   prospect_conversion_rate (a cohort metric whose value grows as the cohort ages): at equal age,
--     the share of the month's leads with a first purchase by the end of the month
--     `alert_conversion_age_months` after the lead month, for months whose that month is over.
-- Slices are those of metric_values (all, rep_id, and lead_source for the lead metrics).

{{ config(schema='intermediate') }}

{%- set rules = alert_rules() %}
{%- set age = var('alert_conversion_age_months') %}

with

as_of as (

    select as_of, as_of_month from {{ ref('int_as_of') }}
    where as_of is not null

),

metric_values as (

    select * from {{ ref('metric_values') }}
    where metric <> 'prospect_conversion_rate'

),

matured as (

    select metric_values.*
    from metric_values
    cross join as_of
    where case metric_values.metric
        when 'never_engaged_rate' then {{ dbt.dateadd('day', var('never_engaged_window_days'), add_months('metric_values.period_start', 1)) }} <= as_of.as_of
        when 'repeat_purchase_90d_rate' then {{ dbt.dateadd('day', var('repeat_purchase_window_days'), add_months('metric_values.period_start', 1)) }} <= as_of.as_of
        when 'referral_6m_rate' then {{ dbt.dateadd('month', var('referral_window_months'), add_months('metric_values.period_start', 1)) }} <= as_of.as_of
        else metric_values.period_start < as_of.as_of_month
    end

),

-- Metric 6 at equal age: converted by the end of month (lead month + age).
lead_facts as (

    select
        int_leads.lead_month as period_start,
        int_leads.rep_id,
        int_leads.lead_source,
        case
            when int_leads.first_purchase_month <= {{ add_months('int_leads.lead_month', age) }} then 1 else 0
        end as is_converted_by_age
    from {{ ref('int_leads') }} as int_leads
    cross join as_of
    where {{ add_months('int_leads.lead_month', age + 1) }} <= as_of.as_of_month

),

conversion_at_age as (

    select
        'prospect_conversion_rate' as metric,
        period_start,
        {{ slice_columns(['rep_id', 'lead_source']) }},
        sum(is_converted_by_age) as numerator,
        count(*) as denominator
    from lead_facts
    group by {{ slices(['period_start'], ['rep_id', 'lead_source']) }}

),

series as (

    select metric, period_start, dimension, dimension_value, numerator, denominator, value
    from matured

    union all

    select
        metric,
        period_start,
        dimension,
        dimension_value,
        numerator,
        denominator,
        {{ ratio('numerator', 'denominator') }} as value
    from conversion_at_age

),

final as (

    select
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(period_start as date) as period_start,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(numerator as {{ type_double() }}) as numerator,
        cast(denominator as {{ type_double() }}) as denominator,
        cast(value as {{ type_double() }}) as value,
        cast(case metric
            {%- for metric, rule in rules.items() %}
            when '{{ metric }}' then '{{ rule.test }}'
            {%- endfor %}
        end as {{ dbt.type_string() }}) as test,
        cast(case metric
            {%- for metric, rule in rules.items() %}
            when '{{ metric }}' then '{{ rule.better }}'
            {%- endfor %}
        end as {{ dbt.type_string() }}) as better
    from series

)

select * from final
