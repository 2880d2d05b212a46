{# Every month of the spine (int_months) appears for 'all' and for every dimension value seen, and no
   row lies outside the spine. With partition_by (e.g. metric), per value of that column. #}
{% test no_gaps(model, partition_by=none) %}

{%- set partition = partition_by ~ ', ' if partition_by else '' %}

with

months as (

    select period_start from {{ ref('int_months') }}

),

slices as (

    select distinct {{ partition }}dimension, dimension_value
    from {{ model }}

    union

    select {% if partition_by %}distinct {{ partition }}{% endif -%}
        'all' as dimension, cast(null as {{ dbt.type_string() }}) as dimension_value
    {% if partition_by %}from {{ model }}{% endif %}

),

expected as (

    select slices.*, months.period_start
    from slices
    cross join months

),

missing as (

    select 'missing month' as problem, expected.*
    from expected
    left join {{ model }} as actual
        on actual.period_start = expected.period_start
        and actual.dimension = expected.dimension
        and actual.dimension_value is not distinct from expected.dimension_value
        {%- if partition_by %}
        and actual.{{ partition_by }} = expected.{{ partition_by }}
        {%- endif %}
    where actual.period_start is null

),

outside as (

    select 'outside the month spine' as problem, {{ partition }}dimension, dimension_value, period_start
    from {{ model }}
    where period_start not in (select period_start from months)

)

select problem, {{ partition }}dimension, dimension_value, period_start from missing
union all
select problem, {{ partition }}dimension, dimension_value, period_start from outside

{% endtest %}
