-- The staged events (up to as_of, as int_events holds them) of the contacts and offers the latest
-- staging build may have changed (int_changed_keys): what an incremental build of the facts rebuilds
-- them from. Each fact read every staged event to find these few (a semi-join over ten million
-- rows, once per fact); this reads them once, and the facts read this table (events_to_rebuild).
-- Empty when nothing reads it (macro may_build_incrementally): on a full refresh (the facts read
-- int_events) and on Spark (every model is a table there). A first build without --full-refresh
-- fills it with every event for nothing; the pipeline starts with --full-refresh (lib/dbt_build.py).

-- depends_on: {{ ref('int_changed_keys') }}

-- Staging's rows of the changed keys, filtered before int_events' attributes are computed.
{%- set changed_staged_events %}
(
    select * from {{ ref('stg_sales_events') }}
    {%- if may_build_incrementally() %}
    where contact_id in {{ changed_keys('contact') }}
        or offer_id in {{ changed_keys('offer') }}
    {%- else %}
    where false
    {%- endif %}
)
{%- endset %}

{{ events_as_of(changed_staged_events) }}
