-- The staged events as they stood at as_of: every event after as_of is dropped here, once, and
-- every fact and metric downstream reads this model instead of staging. Adds the per-event
-- attributes that need no other event: the month and whether it is a conversation (macro
-- events_as_of, which int_changed_events applies to the events of the changed keys).
-- A view: a table would copy every staged event at every build. A full build's facts read it once
-- each; an incremental build reads it once, in int_changed_events.

{{ config(materialized='view') }}

{{ events_as_of(ref('stg_sales_events')) }}
