-- One row per lead: a contact with a lead_created event up to as_of, with the lead time, source
-- and owner (rep) of its first lead_created. A contact whose first purchase is strictly before
-- that time was already a customer and is not a lead. Facts of metrics 5, 6 and 8.
-- Incremental on DuckDB like int_customers: the changed contacts are deleted and built again; the
-- engagement window flag (it moves with as_of) is refreshed on every row by the post-hook.

{{ config(
    materialized=incremental_on_duckdb(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_keys('contact_id', 'contact') }}",
    post_hook=[
        "{{ refresh_as_of_columns({
            'is_engagement_window_reached': window_reached('engagement_window_end'),
        }) }}",
        "{{ log_table_metadata(after_own_hooks=true) }}",
    ],
) }}
-- depends_on: {{ ref('int_changed_keys') }}, {{ ref('int_changed_events') }}

with

events as {{ not_materialized() }} (

    select * from {{ events_to_rebuild('contact_id', 'contact') }}

),

customers as (

    select * from {{ ref('int_customers') }}

),

as_of as (

    select as_of from {{ ref('int_as_of') }}

),

lead_creations as (

    select
        contact_id,
        occurred_at,
        rep_id,
        lead_source,
        row_number() over (partition by contact_id order by occurred_at, event_id) as creation_rank
    from events
    where event_type = 'lead_created'

),

leads as (

    select
        lead_creations.contact_id,
        lead_creations.occurred_at as lead_at,
        lead_creations.rep_id,
        lead_creations.lead_source,
        customers.first_purchased_at,
        {{ dbt.dateadd('day', var('never_engaged_window_days'), 'lead_creations.occurred_at') }}
            as engagement_window_end
    from lead_creations
    left join customers
        on customers.contact_id = lead_creations.contact_id
    where lead_creations.creation_rank = 1
        and (
            customers.first_purchased_at is null
            or customers.first_purchased_at >= lead_creations.occurred_at
        )

),

-- Metric 8: any conversation, lead_qualified or purchase in [lead time, lead time + window].
engagements as (

    select
        leads.contact_id,
        count(*) as engagements
    from leads
    inner join events
        on events.contact_id = leads.contact_id
        and (events.is_conversation or events.event_type in ('lead_qualified', 'purchase'))
        and events.occurred_at >= leads.lead_at
        and events.occurred_at <= leads.engagement_window_end
    group by leads.contact_id

),

final as (

    select
        leads.contact_id,
        leads.lead_at,
        {{ month_of('leads.lead_at') }} as lead_month,
        leads.rep_id,
        leads.lead_source,
        leads.first_purchased_at,
        {{ month_of('leads.first_purchased_at') }} as first_purchase_month,
        -- Every first purchase of a lead is at or after its lead time (the others are not leads).
        leads.first_purchased_at is not null as is_converted,
        {{ days_between('leads.lead_at', 'leads.first_purchased_at') }} as days_to_customer,
        leads.engagement_window_end,
        {{ window_reached('leads.engagement_window_end') }} as is_engagement_window_reached,
        engagements.contact_id is not null as is_engaged_in_window
    from leads
    cross join as_of
    left join engagements
        on engagements.contact_id = leads.contact_id

)

select * from final
