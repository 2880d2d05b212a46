{# Use the folder's schema name as is (staging, intermediate, marts): the contract names
   `marts.metric_values`, not `main_marts.metric_values`. The var `schema_suffix` builds into other
   schemas of the same warehouse (the history's recompute of a past day: lib/history.py). #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
    {{- var('schema_suffix', '') -}}
{%- endmacro %}
