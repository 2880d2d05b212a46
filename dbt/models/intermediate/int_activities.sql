-- One row per sales activity (call, email, meeting) up to as_of, with the contact's status at
-- the event: `customer` if its first purchase is strictly before occurred_at, else `prospect`.
-- Facts of metrics 1, 2 and 3 (attributed to the event's own rep).
-- Incremental on DuckDB: the activities of the contacts the latest staging build changed
-- (int_changed_keys, their events in int_changed_events) are deleted and inserted again, since a
-- contact's first purchase sets the status of all its activities.

{{ config(
    materialized=incremental_on_duckdb(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_keys('contact_id', 'contact') }}",
) }}
-- depends_on: {{ ref('int_changed_keys') }}, {{ ref('int_changed_events') }}

with

events as (

    select * from {{ events_to_rebuild('contact_id', 'contact') }}

),

customers as (

    select contact_id, first_purchased_at from {{ ref('int_customers') }}

),

activities as (

    select
        events.*,
        case
            when customers.first_purchased_at < events.occurred_at then 'customer'
            else 'prospect'
        end as contact_status
    from events
    left join customers
        on customers.contact_id = events.contact_id
    where events.event_type in ('call', 'email', 'meeting')

),

final as (

    select
        event_id,
        event_type,
        occurred_at,
        cast(occurred_at as date) as activity_date,
        event_month,
        contact_id,
        rep_id,
        -- direction, purpose and outcome stay in staging (the flags below hold what the metrics
        -- need of them): at ten million events each string column costs the write ~0.7 s.
        {{ as_vocabulary('contact_status', 'contact_status') }} as contact_status,
        is_conversation,
        -- Any outcome counts (voicemail and gatekeeper too): the call was made.
        case
            when event_type = 'call' and direction = 'outbound' and purpose = 'sales'
                and contact_status = 'prospect'
            then true
            else false
        end as is_prospect_call,
        case
            when event_type = 'email' and direction = 'outbound' and purpose = 'sales'
                and contact_status = 'prospect'
            then true
            else false
        end as is_prospecting_email,
        batch_load_id
    from activities

)

select * from final
