{# Incremental builds on DuckDB (docs/scale.md, "Incremental builds"). Staging keeps every event and
   marks the rows each build wrote with batch_load_id (models/staging/stg_sales_events.sql);
   int_changed_keys lists the contacts and offers those rows may have changed; the facts keyed on
   them delete those keys and insert them again; the columns that depend on as_of are brought up to
   date on every row. Spark builds every model in full (`table`): no merge on its Parquet tables. #}

{% macro incremental_on_duckdb() -%}
    {{ return('incremental' if target.type == 'duckdb' else 'table') }}
{%- endmacro %}


{# Whether this invocation may build the facts incrementally: DuckDB without --full-refresh. The
   bookkeeping models (int_changed_keys, int_changed_events) are left empty otherwise: nothing reads
   them then, and at ten million events filling them costs seconds. #}
{% macro may_build_incrementally() -%}
    {{ return(target.type == 'duckdb' and not flags.FULL_REFRESH) }}
{%- endmacro %}


{# The keys (kind `contact` or `offer`) the latest staging build may have changed, as a subquery. #}
{% macro changed_keys(kind) -%}
    (select key_value from {{ ref('int_changed_keys') }} where key_kind = '{{ kind }}')
{%- endmacro %}


{# The events a fact keyed on contacts or offers is built from, as a relation: on an incremental build
   the events of the changed keys (int_changed_events, scanned out of staging once for all facts),
   else every event. A model that calls it declares `-- depends_on: {{ ref('int_changed_events') }}`
   (dbt finds refs when it parses, where is_incremental() is false). #}
{% macro events_to_rebuild(column, kind) -%}
    {%- if is_incremental() -%}
        (select * from {{ ref('int_changed_events') }} where {{ column }} in {{ changed_keys(kind) }})
    {%- else -%}
        {{ ref('int_events') }}
    {%- endif -%}
{%- endmacro %}


{# `events as {{ not_materialized() }} (...)`: a CTE that each reference reads from its source again.
   DuckDB keeps a CTE referenced more than once in memory whole: on a full build, every event with
   every column (ten million rows: int_customers took 1.2 GB, 0.6 without), for references that each
   read a few event types and columns. Spark has no such keyword. #}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}{%- endmacro %}

{% macro duckdb__not_materialized() -%}not materialized{%- endmacro %}


{# Pre-hook of a fact keyed on contacts or offers: the rows of the changed keys go, whatever the new
   events say (a contact that is no longer a customer loses its row); the model inserts them again. #}
{% macro delete_changed_keys(column, kind) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ column }} in {{ changed_keys(kind) }}
    {%- endif -%}
{%- endmacro %}


{# Post-hook: the columns that depend on as_of (windows reached, offers expired), recomputed on the
   rows whose value differs under this build's as_of, the rows of unchanged keys included. `columns`
   maps a column to its expression over the row's own columns and as_of.as_of. #}
{% macro refresh_as_of_columns(columns) -%}
    {%- if is_incremental() -%}
        update {{ this }}
        set
            {%- for column, expression in columns.items() %}
            {{ column }} = {{ expression }}{{ ',' if not loop.last }}
            {%- endfor %}
        from (select as_of from {{ ref('int_as_of') }}) as as_of
        where
            {%- for column, expression in columns.items() %}
            {{ column }} is distinct from ({{ expression }}){{ ' or' if not loop.last }}
            {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{# A window is reached when its end is at or before as_of (a mature cohort). #}
{% macro window_reached(window_end) -%}
    ({{ window_end }} <= as_of.as_of)
{%- endmacro %}


{# An offer's outcome as of as_of: won by any purchase, else lost explicitly or by expiry, else open. #}
{% macro offer_outcome(won_at, lost_at, expires_at) -%}
    case
        when {{ won_at }} is not null then 'won'
        when {{ lost_at }} is not null then 'lost'
        when {{ window_reached(expires_at) }} then 'lost'
        else 'open'
    end
{%- endmacro %}

{% macro offer_loss_reason(won_at, lost_at, expires_at) -%}
    case
        when {{ won_at }} is not null then null
        when {{ lost_at }} is not null then 'lost'
        when {{ window_reached(expires_at) }} then 'expired'
    end
{%- endmacro %}


{# The rows the latest staging build wrote (every row after a full build), as a condition. #}
{% macro latest_batch(relation) -%}
    batch_load_id = (select max(batch_load_id) from {{ relation }})
{%- endmacro %}


{# Data tests that scale with what changed: a test configured with `where: __latest_batch__` reads
   only the rows the latest staging build wrote (every row after a full build). The placeholder is
   replaced here, when the test runs, because the `where` config itself is rendered when the project
   is parsed, long before the build (and Dagster runs dbt from a manifest parsed ahead). #}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- set where = where | replace('__latest_batch__', latest_batch(relation)) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
