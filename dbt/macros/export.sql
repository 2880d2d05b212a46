{# Engine-neutral hand-off (docs/scale.md): on Spark, the on-run-end hook of dbt_project.yml writes
   every model this invocation built as Parquet files, <export dir>/<schema>/<model>/part-*.parquet,
   where DuckDB reads them (dagster_project/lib/spark/mirror.py) for publishing and quality checks.
   On DuckDB the models are already where those readers look: nothing to do. #}
{% macro export_models(results) -%}
    {{ return(adapter.dispatch('export_models')(results)) }}
{%- endmacro %}

{% macro default__export_models(results) -%}
{%- endmacro %}

{% macro spark__export_models(results) -%}
    {%- set export_dir = var('spark_dir', env_var('SALES_SPARK_DIR', '../data/spark')).rstrip('/') ~ '/export' -%}
    {%- for result in results
            if result.node.resource_type == 'model' and result.status == 'success'
            and result.node.config.materialized in ('table', 'incremental', 'view') %}
        {%- set folder = export_dir ~ '/' ~ result.node.schema ~ '/' ~ result.node.alias -%}
        {% do run_query(
            "insert overwrite directory '" ~ dbt.escape_single_quotes(folder) ~ "' using parquet "
            ~ "select * from " ~ result.node.relation_name
        ) %}
    {%- endfor %}
{%- endmacro %}
