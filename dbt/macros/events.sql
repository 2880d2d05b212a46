{# The staged events as they stood at as_of, with the per-event attributes that need no other event
   (the month, whether it is a conversation): the select of int_events, over `staged_events` (a
   relation or a parenthesised select of staging's rows). int_changed_events applies it to the few
   staged events of the changed keys: over the int_events view, DuckDB computed the attributes of
   all ten million events before it filtered them (0.2 s) and read their every column. #}
{% macro events_as_of(staged_events) -%}
    with

    events as (

        select * from {{ staged_events }}

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
{%- endmacro %}
