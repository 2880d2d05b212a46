-- The "as of" instant, resolved in this one place (docs/contract.md, "Derived facts"): the dbt var
-- `as_of` (naive UTC timestamp text, or a date = its midnight) when set, else the latest occurred_at
-- among the staged events; with the month of as_of (still running) and the latest complete month
-- before it, which the summary, the report and the checks read from here. Always one row (as_of is
-- null only when there is no event and no var).

{%- set as_of = var('as_of', none) %}
{%- set as_of_given = as_of is not none and (as_of | string | trim) != '' %}

with

events as (

    select occurred_at from {{ ref('stg_sales_events') }}

),

resolved as (

    select
        {% if as_of_given -%}
        cast('{{ dbt.escape_single_quotes(as_of | string | trim) }}' as {{ dbt.type_timestamp() }})
        {%- else -%}
        max(occurred_at)
        {%- endif %} as as_of,
        max(occurred_at) as latest_occurred_at
    from events

),

final as (

    select
        as_of,
        {{ month_of('as_of') }} as as_of_month,
        cast({{ dbt.dateadd('month', -1, month_of('as_of')) }} as date) as latest_complete_month,
        latest_occurred_at
    from resolved

)

select * from final
