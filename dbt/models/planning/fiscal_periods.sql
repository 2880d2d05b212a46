-- The fiscal quarter and year that hold as_of, by the fiscal calendar (`fiscal_year_start_month`,
-- from SALES_FISCAL_YEAR_START_MONTH): a fiscal year starts on the first day of that month and is
-- named by the calendar year it ends in (FY2026 = Jul 2025 - Jun 2026 when it starts in July);
-- quarters are its three-month thirds. Targets whose period is exactly one of these are the current
-- fiscal quarter's and year's (the summary and the report's plan page show them first).

{%- set start_month = var('fiscal_year_start_month') | int %}
{%- if start_month < 1 or start_month > 12 %}
    {{ exceptions.raise_compiler_error("fiscal_year_start_month must be 1-12, not " ~ start_month) }}
{%- endif %}

with

as_of as (

    select as_of_month from {{ ref('int_as_of') }}
    where as_of is not null

),

position as (

    select
        as_of_month,
        -- months since the fiscal year began (0-11)
        (cast(extract(month from as_of_month) as integer) - {{ start_month }} + 12) % 12
            as months_into_year
    from as_of

),

bounds as (

    select
        {{ add_months('as_of_month', '-months_into_year') }} as year_start,
        {{ add_months('as_of_month', '-(months_into_year % 3)') }} as quarter_start,
        -- the quarter (1-4) and the calendar year the fiscal year ends in
        cast((months_into_year - months_into_year % 3) / 3 as integer) + 1 as quarter,
        cast(extract(year from {{ add_months('as_of_month', '11 - months_into_year') }}) as integer) as fiscal_year
    from position

),

final as (

    select
        cast('fiscal_quarter' as {{ dbt.type_string() }}) as period_kind,
        {{ dbt.concat(["'FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")", "' Q'", "cast(quarter as " ~ dbt.type_string() ~ ")"]) }}
            as label,
        quarter_start as period_start,
        cast({{ dbt.dateadd('day', -1, add_months('quarter_start', 3)) }} as date) as period_end
    from bounds

    union all

    select
        cast('fiscal_year' as {{ dbt.type_string() }}) as period_kind,
        {{ dbt.concat(["'FY'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")"]) }} as label,
        year_start as period_start,
        cast({{ dbt.dateadd('day', -1, add_months('year_start', 12)) }} as date) as period_end
    from bounds

)

select * from final
