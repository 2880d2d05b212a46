{# What the Dagster UI shows of each model (row count, columns, preview), logged by dbt as it builds
   the model (`dbt_table_metadata` in dagster_project/lib/metadata.py reads the line), so that
   Dagster records the model's materialization while the build goes on. Read afterwards, they would
   wait for dbt to release the DuckDB file, and all the build's events would be recorded after it.

   A post-hook of every model (dbt_project.yml). A model with post-hooks of its own (the as_of
   columns' refresh) calls it last itself, with after_own_hooks=true: project hooks run before a
   model's own, and the preview must show the rows as the build leaves them. #}

{% macro log_table_metadata(after_own_hooks=false, preview_rows=10) -%}
    {%- if execute and (after_own_hooks or (post_hooks | length) <= 1) -%}
        {%- set columns = adapter.get_columns_in_relation(this) -%}
        {%- set preview -%}
            select
            {%- for column in columns %}
                cast({{ adapter.quote(column.name) }} as {{ dbt.type_string() }}) as {{ adapter.quote(column.name) }}
                {{- ',' if not loop.last }}
            {%- endfor %}
            from {{ this }}
            limit {{ preview_rows }}
        {%- endset -%}
        {%- set report = {
            'relation': [this.schema, this.identifier],
            'columns': columns | map(attribute='name') | list,
            'types': columns | map(attribute='dtype') | list,
            'preview': run_query(preview).rows | map('list') | list if columns else [],
        } -%}
        {#- A view's count would run its whole query again (int_events: every staged event). -#}
        {%- if config.get('materialized') != 'view' -%}
            {%- do report.update({'row_count': run_query('select count(*) from ' ~ this).columns[0].values()[0] | int}) -%}
        {%- endif -%}
        {%- do log(table_metadata_prefix() ~ tojson(report), info=true) -%}
    {%- endif -%}
{%- endmacro %}


{# The start of the line: DBT_TABLE_METADATA_PREFIX in dagster_project/lib/metadata.py. #}
{% macro table_metadata_prefix() -%}
    {{ return('dagster table metadata: ') }}
{%- endmacro %}
