{# The dbt source raw.sales_events on each engine, made by the on-run-start hook of dbt_project.yml.

   DuckDB: the tables the loader writes in the warehouse file; nothing to do.
   Spark: raw.sales_events is an external table over the lake (dagster_project/lib/ingestion/lake.py),
   one partition per load: <lake_dir>/sales_events/load_id=<n>/part-0.parquet. It is declared again at
   every run (dropping an external table leaves its files alone), so a moved lake is followed, and the
   partitions are listed again so the loads written since the last run are read. raw.held_load_ids
   (the loads staging leaves out) is a view of the var `held_load_ids`, which the Dagster asset reads
   from the warehouse (lib/dbt_target.py); small raw tables such as raw.sales_targets are declared
   over the Parquet copies lib/spark/reference.py writes. #}
{% macro create_raw_source() -%}
    {{ return(adapter.dispatch('create_raw_source')()) }}
{%- endmacro %}

{% macro default__create_raw_source() -%}
{%- endmacro %}

{% macro spark__create_raw_source() -%}
    {%- set lake = var('lake_dir', env_var('SALES_LAKE_DIR', '../data/lake')) -%}
    {%- set location = lake.rstrip('/') ~ '/sales_events' -%}
    {% do run_query('create database if not exists raw') %}
    {% do run_query('drop table if exists raw.sales_events') %}
    {#- The columns of raw.sales_events (dagster_project/lib/ingestion/raw_schema.py); load_id is the
        partition folder's, not in the files. #}
    {% call statement('create_raw_sales_events') -%}
        create table raw.sales_events (
            event_id string,
            event_type string,
            occurred_at timestamp,
            contact_id string,
            rep_id string,
            lead_source string,
            direction string,
            purpose string,
            outcome string,
            offer_id string,
            amount double,
            referred_contact_id string,
            is_valid boolean,
            updated_at timestamp,
            raw_record string,
            source_file string,
            row_number bigint,
            loaded_at timestamp,
            load_id bigint
        )
        using parquet
        partitioned by (load_id)
        location '{{ dbt.escape_single_quotes(location) }}'
    {%- endcall %}
    {% do run_query('msck repair table raw.sales_events') %}
    {#- Small raw tables that live only in the warehouse (lib/spark/reference.py): declared over their
        Parquet copy when the warehouse has them, absent otherwise, as on DuckDB. #}
    {%- set spark_dir = var('spark_dir', env_var('SALES_SPARK_DIR', '../data/spark')).rstrip('/') %}
    {%- for table, present in var('reference_tables', {}).items() %}
        {% do run_query('drop table if exists raw.' ~ table) %}
        {%- if present %}
        {% do run_query(
            'create table raw.' ~ table ~ " using parquet location '"
            ~ dbt.escape_single_quotes(spark_dir ~ '/reference/' ~ table) ~ "'"
        ) %}
        {%- endif %}
    {%- endfor %}
    {%- set held = var('held_load_ids', []) | map('int') | join(', ') %}
    {% do run_query(
        'create or replace view raw.held_load_ids as '
        ~ 'select explode(cast(array(' ~ held ~ ') as array<bigint>)) as load_id'
    ) %}
{%- endmacro %}
