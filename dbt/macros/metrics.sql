{# Helpers shared by the ten metric marts (models/marts). Each mart builds a `facts` CTE with one
   row per member of the metric's population (the counted events of a count; the members of the
   denominator of a rate or mean), with its period_start, attribution columns and measures, then:

     aggregated as (select period_start, {{ slice_columns(['rep_id']) }}, <measures>
                    from facts group by {{ slices(['period_start'], ['rep_id']) }}),
     grid       as ({{ metric_grid('months', 'aggregated') }}),   -- every month x every slice seen
     final      as (select ... from grid left join aggregated on {{ same_slice('grid', 'aggregated') }})

   One pass over the facts for every slice (GROUPING SETS): a union of one copy of the facts per
   slice (slice_by) read a million leads three times, 0.14 s a mart against 0.02 s. #}


{# GROUP BY {{ slices(keys, dimensions) }}: the facts grouped once by the keys alone (the slice
   `all`) and once by the keys and each dimension, in one pass. #}
{% macro slices(keys, dimensions) -%}
    grouping sets (
        ({{ keys | join(', ') }})
        {%- for dimension in dimensions %},
        ({{ keys | join(', ') }}, {{ dimension }})
        {%- endfor %}
    )
{%- endmacro %}


{# The slice of a row grouped by slices(): `dimension` ('all' or the dimension's name) and
   `dimension_value` (the dimension's value, 'unknown' when it is null; null for 'all'). #}
{% macro slice_columns(dimensions) -%}
    case
        {%- for dimension in dimensions %}
        when grouping({{ dimension }}) = 0 then '{{ dimension }}'
        {%- endfor %}
        else 'all'
    end as dimension,
    case
        {%- for dimension in dimensions %}
        when grouping({{ dimension }}) = 0
            then coalesce(cast({{ dimension }} as {{ dbt.type_string() }}), 'unknown')
        {%- endfor %}
    end as dimension_value
{%- endmacro %}


{# The rows once for `dimension = 'all'` (dimension_value null) and once per dimension, whose value
   is the row's column of that name; a null value is 'unknown': for models that join slices to
   other slices (planning) rather than aggregate them (slices above). #}
{% macro slice_by(facts, dimensions) -%}
    select
        'all' as dimension,
        cast(null as {{ dbt.type_string() }}) as dimension_value,
        {{ facts }}.*
    from {{ facts }}
    {%- for dimension in dimensions %}

    union all

    select
        '{{ dimension }}' as dimension,
        coalesce(cast({{ facts }}.{{ dimension }} as {{ dbt.type_string() }}), 'unknown') as dimension_value,
        {{ facts }}.*
    from {{ facts }}
    {%- endfor %}
{%- endmacro %}


{# No gaps: every month of the spine, for 'all' and for every (dimension, dimension_value) of
   `slices` (the aggregated slices of the metric: a value "seen" in any month appears in all). #}
{% macro metric_grid(months, slices) -%}
    select
        {{ months }}.period_start,
        seen.dimension,
        seen.dimension_value
    from {{ months }}
    cross join (
        select dimension, dimension_value from {{ slices }}
        union
        select 'all' as dimension, cast(null as {{ dbt.type_string() }}) as dimension_value
    ) as seen
{%- endmacro %}


{# Join condition of two relations on (period_start, dimension, dimension_value), nulls equal. #}
{% macro same_slice(left, right) -%}
    {{ left }}.period_start = {{ right }}.period_start
    and {{ left }}.dimension = {{ right }}.dimension
    and {{ left }}.dimension_value is not distinct from {{ right }}.dimension_value
{%- endmacro %}


{# numerator / denominator as a double, null when the denominator is 0 or null. #}
{% macro ratio(numerator, denominator) -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast({{ numerator }} as {{ type_double() }}) / cast({{ denominator }} as {{ type_double() }})
    end
{%- endmacro %}


{# 1 when a boolean condition holds, else 0 (also for null): for sums that count. #}
{% macro flag(condition) -%}
    case when {{ condition }} then 1 else 0 end
{%- endmacro %}


{# The ten metric keys of docs/contract.md ("The ten metrics"), in its order: each is a mart's model name. #}
{% macro metric_keys() -%}
    {{ return([
        'conversations',
        'prospect_calls',
        'prospecting_emails',
        'conversations_to_close',
        'days_to_customer',
        'prospect_conversion_rate',
        'offer_loss_rate',
        'never_engaged_rate',
        'repeat_purchase_90d_rate',
        'referral_6m_rate',
    ]) }}
{%- endmacro %}
