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
