{# The first day of the month of a timestamp, as a DATE (a period_start). #}
{% macro month_of(timestamp) -%}
    cast({{ dbt.date_trunc('month', timestamp) }} as date)
{%- endmacro %}


{# Fractional days from one timestamp to a later one: seconds / 86400, as a double. #}
{% macro days_between(start_timestamp, end_timestamp) -%}
    ({{ seconds_between(start_timestamp, end_timestamp) }} / 86400.0)
{%- endmacro %}


{# Seconds (with fractions) from one timestamp to another, as a double. #}
{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    cast(extract(epoch from ({{ end_timestamp }}) - ({{ start_timestamp }})) as {{ type_double() }})
{%- endmacro %}

{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    cast(epoch({{ end_timestamp }}) - epoch({{ start_timestamp }}) as {{ type_double() }})
{%- endmacro %}

{% macro spark__seconds_between(start_timestamp, end_timestamp) -%}
    {#- In parentheses: one term, like the other engines' (a / seconds_between(...) must divide by it). #}
    (cast(unix_micros({{ end_timestamp }}) - unix_micros({{ start_timestamp }}) as double) / 1e6)
{%- endmacro %}


{# Spark versions of dbt's cross-database dateadd and datediff, found before dbt-spark's own through
   the `dispatch` search order of dbt_project.yml. dbt-spark's dateadd goes through
   to_unix_timestamp (whole seconds: it drops the fraction of a timestamp) and both assert that
   their argument is not null (an empty month spine would fail the build instead of being empty).
   Same meaning as on DuckDB: dateadd adds calendar units (a month after 31 August is 30
   September); datediff counts the unit's boundaries crossed. #}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart | upper }}, cast({{ interval }} as int), {{ from_date_or_timestamp }})
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {#- A BIGINT, as DuckDB's date_diff returns. #}
    {%- set unit = datepart | lower -%}
    {%- if unit == 'day' -%}
        cast(datediff(cast({{ second_date }} as date), cast({{ first_date }} as date)) as bigint)
    {%- elif unit in ('month', 'quarter', 'year') -%}
        {%- set per_year = {'month': 12, 'quarter': 4, 'year': 1}[unit] -%}
        {%- set part = {'month': 'month', 'quarter': 'quarter', 'year': none}[unit] -%}
        cast(
            (year({{ second_date }}) - year({{ first_date }})) * {{ per_year }}
            {%- if part %}
            + {{ part }}({{ second_date }}) - {{ part }}({{ first_date }})
            {%- endif %}
        as bigint)
    {%- else -%}
        {{ exceptions.raise_compiler_error("spark__datediff: datepart '" ~ datepart ~ "' is not implemented (day, month, quarter, year are)") }}
    {%- endif -%}
{%- endmacro %}

{# dbt's generate_series cross-joins one two-row relation per power of two (12 joins for the month
   spine's 2400); Spark plans each join, while `range` is one scan. Same column, 1 to upper_bound. #}
{% macro spark__generate_series(upper_bound) -%}
    select id as generated_number from range(1, {{ upper_bound }} + 1)
{%- endmacro %}
