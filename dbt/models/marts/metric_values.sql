-- All ten metrics in one long table (docs/contract.md ("The ten metrics")), read by BI tools and alerts:
-- the common columns of each metric's mart, with the metric key.

{%- set metrics = metric_keys() %}

with

unioned as (
    {%- for metric in metrics %}

    select
        cast('{{ metric }}' as {{ dbt.type_string() }}) as metric,
        cast(period_start as date) as period_start,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(numerator as {{ type_double() }}) as numerator,
        cast(denominator as {{ type_double() }}) as denominator,
        cast(value as {{ type_double() }}) as value
    from {{ ref(metric) }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select * from unioned
