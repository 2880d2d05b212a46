-- The staged events as they stood at as_of: every event after as_of is dropped here, once, and
-- every fact and metric downstream reads this model instead of staging. Adds the per-event
-- attributes that need no other event: the month and whether it is a conversation.
-- A view: a table would copy every staged event at every build. A full build's facts read it once
-- each; an incremental build reads it once, in int_changed_events.

{{ config(materialized='view') }}

with

events as (

    select * from {{ ref('stg_sales_events') }}

),

as_of as (

    select as_of from {{ ref('int_as_of') }}

),

filtered as (

    select events.*
    from events
    cross join as_of
    where events.occurred_at <= as_of.as_of

),

final as (

    select
        event_id,
        event_type,
        occurred_at,
        {{ month_of('occurred_at') }} as event_month,
        contact_id,
        rep_id,
        lead_source,
        direction,
        purpose,
        outcome,
        offer_id,
        amount,
        referred_contact_id,
        is_valid,
        -- A conversation is an exchange with the contact: a connected call, a held meeting or an
        -- inbound email (a reply), each for sales (support is customer service).
        case
            when purpose = 'sales'
                and (
                    (event_type = 'call' and outcome = 'connected')
                    or (event_type = 'meeting' and outcome = 'held')
                    or (event_type = 'email' and direction = 'inbound')
                )
            then true
            else false
        end as is_conversation,
        batch_load_id
    from filtered

)

select * from final
