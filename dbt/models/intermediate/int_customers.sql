-- One row per customer (a contact with at least one purchase up to as_of), whether or not it was
-- ever a lead: its first purchase and the facts measured from it (metrics 4, 9 and 10).
-- Incremental on DuckDB: the rows of the contacts the latest staging build changed are deleted and
-- built again from all their events; the window flags (which move with as_of) are refreshed on
-- every row by the post-hook.

{{ config(
    materialized=incremental_on_duckdb(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_keys('contact_id', 'contact') }}",
    post_hook=[
        "{{ refresh_as_of_columns({
            'is_repeat_window_reached': window_reached('repeat_window_end'),
            'is_referral_window_reached': window_reached('referral_window_end'),
        }) }}",
        "{{ log_table_metadata(after_own_hooks=true) }}",
    ],
) }}
-- depends_on: {{ ref('int_changed_keys') }}, {{ ref('int_changed_events') }}

with

events as {{ not_materialized() }} (

    select * from {{ events_to_rebuild('contact_id', 'contact') }}

),

as_of as (

    select as_of from {{ ref('int_as_of') }}

),

purchases as (

    select
        contact_id,
        event_id,
        occurred_at,
        rep_id,
        row_number() over (partition by contact_id order by occurred_at, event_id) as purchase_rank
    from events
    where event_type = 'purchase'

),

-- First purchase: the purchase with the smallest (occurred_at, event_id).
first_purchases as (

    select
        contact_id,
        event_id as first_purchase_event_id,
        occurred_at as first_purchased_at,
        rep_id
    from purchases
    where purchase_rank = 1

),

-- Qualification time: the contact's first lead_qualified (before or after its first purchase).
qualifications as (

    select
        contact_id,
        min(occurred_at) as qualified_at
    from events
    where event_type = 'lead_qualified'
    group by contact_id

),

customers as (

    select
        first_purchases.contact_id,
        first_purchases.first_purchase_event_id,
        first_purchases.first_purchased_at,
        first_purchases.rep_id,
        qualifications.qualified_at,
        {{ dbt.dateadd('day', var('repeat_purchase_window_days'), 'first_purchases.first_purchased_at') }}
            as repeat_window_end,
        {{ dbt.dateadd('month', var('referral_window_months'), 'first_purchases.first_purchased_at') }}
            as referral_window_end
    from first_purchases
    left join qualifications
        on qualifications.contact_id = first_purchases.contact_id

),

-- Metric 4: conversations from qualification to first purchase, both ends included.
conversations_to_close as (

    select
        customers.contact_id,
        count(*) as conversations
    from customers
    inner join events
        on events.contact_id = customers.contact_id
        and events.is_conversation
        and events.occurred_at >= customers.qualified_at
        and events.occurred_at <= customers.first_purchased_at
    group by customers.contact_id

),

-- Metric 9: another purchase (another event_id) in [first purchase, first purchase + window].
repeat_purchases as (

    select
        customers.contact_id,
        count(*) as repeat_purchases
    from customers
    inner join purchases
        on purchases.contact_id = customers.contact_id
        and purchases.event_id <> customers.first_purchase_event_id
        and purchases.occurred_at >= customers.first_purchased_at
        and purchases.occurred_at <= customers.repeat_window_end
    group by customers.contact_id

),

-- Metric 10: a valid referral made by the customer in [first purchase, first purchase + window].
valid_referrals as (

    select
        customers.contact_id,
        count(*) as valid_referrals
    from customers
    inner join events
        on events.contact_id = customers.contact_id
        and events.event_type = 'referral'
        and events.is_valid
        and events.occurred_at >= customers.first_purchased_at
        and events.occurred_at <= customers.referral_window_end
    group by customers.contact_id

),

final as (

    select
        customers.contact_id,
        customers.first_purchase_event_id,
        customers.first_purchased_at,
        {{ month_of('customers.first_purchased_at') }} as first_purchase_month,
        customers.rep_id,
        customers.qualified_at,
        coalesce(customers.qualified_at <= customers.first_purchased_at, false)
            as is_qualified_by_first_purchase,
        case
            when customers.qualified_at <= customers.first_purchased_at
            then coalesce(conversations_to_close.conversations, 0)
        end as conversations_to_close,
        customers.repeat_window_end,
        {{ window_reached('customers.repeat_window_end') }} as is_repeat_window_reached,
        repeat_purchases.contact_id is not null as has_repeat_purchase,
        customers.referral_window_end,
        {{ window_reached('customers.referral_window_end') }} as is_referral_window_reached,
        valid_referrals.contact_id is not null as has_valid_referral
    from customers
    cross join as_of
    left join conversations_to_close
        on conversations_to_close.contact_id = customers.contact_id
    left join repeat_purchases
        on repeat_purchases.contact_id = customers.contact_id
    left join valid_referrals
        on valid_referrals.contact_id = customers.contact_id

)

select * from final
