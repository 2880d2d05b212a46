{# A double-precision float on every engine. dbt.type_float() renders `float`, which is
   double precision on PostgreSQL but single precision (FLOAT4) on DuckDB. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
