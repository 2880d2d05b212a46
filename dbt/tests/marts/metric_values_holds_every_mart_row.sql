-- marts.metric_values is exactly the union of the ten marts: same row count per metric.
-- A check of metric_values in Dagster, though it reads every mart (meta, so partial parses keep it).
{{ config(meta={'dagster': {'ref': {'name': 'metric_values'}}}) }}

{%- set metrics = metric_keys() %}

with

mart_rows as (
    {%- for metric in metrics %}

    select '{{ metric }}' as metric, count(*) as mart_rows from {{ ref(metric) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

long_rows as (

    select metric, count(*) as long_rows
    from {{ ref('metric_values') }}
    group by metric

)

select mart_rows.metric, mart_rows.mart_rows, coalesce(long_rows.long_rows, 0) as long_rows
from mart_rows
left join long_rows
    on long_rows.metric = mart_rows.metric
where mart_rows.mart_rows <> coalesce(long_rows.long_rows, 0)
