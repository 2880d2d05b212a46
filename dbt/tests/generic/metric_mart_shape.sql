{# Every rule of a metric mart's shape (docs/contract.md, "The ten metrics") in one test: one query per
   build instead of a dozen, each failing row naming the rule it breaks (`problem`).
   kind: count (no denominator), mean (numerator / denominator >= 0) or rate (a fraction in [0, 1]);
   dimensions: the slices besides 'all'; not_null: more columns that are never null; bounds: more
   columns' [min, max] (either may be null). One row per (period_start, dimension, dimension_value),
   and every month of the spine for every slice (no_gaps). #}
{% test metric_mart_shape(model, kind, dimensions, not_null=[], bounds={}) %}

with

checked as (

    select
        period_start,
        dimension,
        dimension_value,
        case
            when period_start is null then 'period_start is null'
            when dimension is null then 'dimension is null'
            when dimension not in ('all'{% for d in dimensions %}, '{{ d }}'{% endfor %})
                then 'dimension is not all{% for d in dimensions %}, {{ d }}{% endfor %}'
            when (dimension = 'all') <> (dimension_value is null)
                then 'dimension_value is not null exactly for the all slice'
            when numerator is null then 'numerator is null'
            when numerator < 0 then 'numerator is negative'
            {%- if kind == 'count' %}
            when denominator is not null then 'a count has a denominator'
            {%- else %}
            when denominator is null then 'denominator is null'
            when denominator < 0 then 'denominator is negative'
            {%- endif %}
            {%- if kind == 'rate' %}
            when numerator > denominator then 'numerator is above denominator'
            when value < 0 or value > 1 then 'value is outside [0, 1]'
            {%- elif kind == 'mean' %}
            when value < 0 then 'value is negative'
            {%- endif %}
            {%- for column in not_null %}
            when {{ column }} is null then '{{ column }} is null'
            {%- endfor %}
            {%- for column, bound in bounds.items() %}
            {%- if bound[0] is not none %}
            when {{ column }} < {{ bound[0] }} then '{{ column }} is below {{ bound[0] }}'
            {%- endif %}
            {%- if bound[1] is not none %}
            when {{ column }} > {{ bound[1] }} then '{{ column }} is above {{ bound[1] }}'
            {%- endif %}
            {%- endfor %}
        end as problem
    from {{ model }}

),

duplicates as (

    select 'more than one row for the slice and month' as problem, period_start, dimension, dimension_value
    from {{ model }}
    group by period_start, dimension, dimension_value
    having count(*) > 1

),

not_ratios as (

    select 'value is not numerator / denominator' as problem, period_start, dimension, dimension_value
    from {{ model }}
    where not {{ value_follows_ratio() }}

),

gaps as (

    {{ test_no_gaps(model) }}

)

select problem, period_start, dimension, dimension_value from checked where problem is not null
union all
select problem, period_start, dimension, dimension_value from duplicates
union all
select problem, period_start, dimension, dimension_value from not_ratios
union all
select problem, period_start, dimension, dimension_value from gaps

{% endtest %}
