-- What the targets count, one row per counted thing up to as_of, with when it happened, how much it
-- counts and the slices it belongs to: new_customers (first purchases, any customer; rep of the
-- first purchase), revenue (every purchase's amount; rep of the purchase), conversations,
-- prospect_calls, prospecting_emails (metrics 1-3; rep of the event). lead_source is the contact's
-- lead source, null for a contact that is not a lead (it counts in no lead_source target).

-- A view: its one reader (target_pacing) aggregates it at once; a table cost a full copy of every
-- activity and purchase at every build (5.6 s of 66 at 10M events).
{{ config(schema='intermediate', materialized='view') }}

with

leads as (

    select contact_id, lead_source from {{ ref('int_leads') }}

),

counted as (

    select
        'new_customers' as measure,
        first_purchased_at as occurred_at,
        cast(1 as {{ type_double() }}) as quantity,
        contact_id,
        rep_id
    from {{ ref('int_customers') }}

    union all

    select
        'revenue' as measure,
        occurred_at,
        cast(amount as {{ type_double() }}) as quantity,
        contact_id,
        rep_id
    from {{ ref('int_events') }}
    where event_type = 'purchase'

    union all

    {%- for measure, flag in [
        ('conversations', 'is_conversation'),
        ('prospect_calls', 'is_prospect_call'),
        ('prospecting_emails', 'is_prospecting_email'),
    ] %}

    select
        '{{ measure }}' as measure,
        occurred_at,
        cast(1 as {{ type_double() }}) as quantity,
        contact_id,
        rep_id
    from {{ ref('int_activities') }}
    where {{ flag }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        cast(counted.measure as {{ dbt.type_string() }}) as measure,
        counted.occurred_at,
        counted.quantity,
        counted.rep_id,
        leads.lead_source
    from counted
    left join leads
        on leads.contact_id = counted.contact_id

)

select * from final
