-- The accepted targets (raw.sales_targets, written by the Dagster asset raw/sales_targets) with the
-- instants that bound each period: [period_start 00:00, day after period_end 00:00), UTC.
-- Before the targets asset has ever run the table does not exist: the plan then has no targets.

{{ config(schema='staging') }}

{%- set targets = source('planning', 'sales_targets') %}
{%- set exists = execute and load_relation(targets) is not none %}

with

targets as (

    {% if exists -%}
    select
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(measure as {{ dbt.type_string() }}) as measure,
        cast(dimension as {{ dbt.type_string() }}) as dimension,
        cast(dimension_value as {{ dbt.type_string() }}) as dimension_value,
        cast(target as {{ type_double() }}) as target
    from {{ targets }}
    {%- else -%}
    select *
    from (
        select
            cast(null as date) as period_start,
            cast(null as date) as period_end,
            cast(null as {{ dbt.type_string() }}) as measure,
            cast(null as {{ dbt.type_string() }}) as dimension,
            cast(null as {{ dbt.type_string() }}) as dimension_value,
            cast(null as {{ type_double() }}) as target
    ) as no_targets
    where 1 = 0
    {%- endif %}

),

final as (

    select
        period_start,
        period_end,
        measure,
        dimension,
        dimension_value,
        target,
        cast(period_start as {{ dbt.type_timestamp() }}) as period_start_at,
        cast({{ dbt.dateadd('day', 1, 'period_end') }} as {{ dbt.type_timestamp() }}) as period_end_at
    from targets

)

select * from final
