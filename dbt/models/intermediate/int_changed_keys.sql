-- The contacts and offers whose facts the latest staging build may have changed: those named by ANY
-- raw version of an event that build staged (an event corrected from contact A to contact B changes
-- both; a purchase corrected into another type changes its offer). The incremental facts
-- (int_customers, int_leads, int_offers, int_activities) rebuild exactly these keys. Empty on a full
-- refresh and on Spark, where nothing reads it (macro may_build_incrementally).

with

batch_events as (

    select event_id from {{ ref('stg_sales_events') }}
    where batch_load_id = (select max(batch_load_id) from {{ ref('stg_sales_events') }})
    {%- if not may_build_incrementally() %}
        and false
    {%- endif %}

),

versions as (

    select contact_id, offer_id
    from {{ source('raw', 'sales_events') }}
    where event_id in (select event_id from batch_events)

),

-- One row per version and kind, read once: a CTE read by two selects is materialized by DuckDB, which
-- then builds its join's hash table from all ten million raw rows instead of the day's event ids.
keyed as (

    select
        kinds.key_kind,
        case kinds.key_kind when 'contact' then versions.contact_id else versions.offer_id end as key_value
    from versions
    cross join (select 'contact' as key_kind union all select 'offer' as key_kind) as kinds

),

final as (

    select distinct key_kind, key_value from keyed
    where key_value is not null

)

select * from final
