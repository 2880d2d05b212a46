-- One row per event_id: the latest updated_at wins (versions without updated_at rank below those
-- with one); otherwise the last delivery (highest load_id, then row_number) wins. Rows of held loads
-- (over the reject limit, not released) stay out.
--
-- Incremental on DuckDB (docs/scale.md, "Incremental builds"): a build re-ranks only the events that
-- have a raw row in a load newer than the newest load already staged, with ALL their raw versions
-- (a corrected or late event arrives in a new load, whatever its occurred_at), and replaces their
-- rows (delete+insert on event_id). Every row carries batch_load_id, the newest load the build that
-- wrote it read: the rows of the latest build are those with the largest batch_load_id, which is
-- also the watermark of the next build. Staging a load twice gives the same rows, so the watermark
-- may lag but never skips a load. Spark builds the table in full (no merge on Parquet tables).

{{ config(
    materialized=incremental_on_duckdb(),
    unique_key='event_id',
    incremental_strategy='delete+insert',
) }}

{#- The newest load this build reads, the same on every row it writes and on both engines: read
    first and written as a constant (a max() over the rows in the query itself costs half the
    staging time again at 10M rows). #}
{%- set batch_load_id = none %}
{%- if execute and model.resource_type == 'model' %}{#- not in a unit test: its sources are fixtures #}
    {%- set newest = run_query(
        'select max(load_id) from ' ~ source('raw', 'sales_events')
        ~ ' where load_id not in (select load_id from ' ~ source('raw', 'held_load_ids') ~ ')'
    ) %}
    {%- set batch_load_id = newest.columns[0].values()[0] %}
{%- endif %}

{#- The rows to rank: a subquery written out where it is used, not a CTE, because DuckDB materializes
    a CTE read twice, and ten million rows of every column then exceed the memory limit. #}
{%- set source_rows %}
    select
        event_id, event_type, occurred_at, contact_id, rep_id, lead_source, direction, purpose,
        outcome, offer_id, amount, referred_contact_id, is_valid, updated_at, source_file, load_id,
        row_number
    from {{ source('raw', 'sales_events') }}
    where load_id not in (select load_id from {{ source('raw', 'held_load_ids') }})
    {%- if is_incremental() %}
        and event_id in (
            select event_id from {{ source('raw', 'sales_events') }}
            where load_id > (select coalesce(max(batch_load_id), -1) from {{ this }})
                and load_id not in (select load_id from {{ source('raw', 'held_load_ids') }})
        )
    {%- endif %}
{%- endset %}

with

-- The ranking reads only the keys; the winning version's columns are joined back by its event and
-- delivery (load, row).
ranked as (

    select
        event_id,
        load_id,
        row_number,
        row_number() over (
            partition by event_id
            order by
                case when updated_at is null then 0 else 1 end desc,
                updated_at desc,
                load_id desc,
                row_number desc
        ) as version_rank
    from ({{ source_rows }}) as versions

),

latest as (

    select source.*
    from ({{ source_rows }}) as source
    inner join ranked
        on ranked.event_id = source.event_id
        and ranked.load_id = source.load_id
        and ranked.row_number = source.row_number
        and ranked.version_rank = 1

),

final as (

    select
        event_id,
        {{ as_vocabulary('event_type', 'event_type') }} as event_type,
        occurred_at,
        contact_id,
        rep_id,
        coalesce(lead_source, 'unknown') as lead_source,
        {{ as_vocabulary('direction', 'direction') }} as direction,
        {{ as_vocabulary("coalesce(purpose, 'sales')", 'purpose') }} as purpose,
        outcome,
        offer_id,
        amount,
        referred_contact_id,
        is_valid,
        updated_at,
        source_file,
        load_id,
        cast({{ batch_load_id if batch_load_id is not none else 'null' }} as bigint) as batch_load_id
    from latest

)

select * from final
