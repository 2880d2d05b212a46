-- One row per offer: a distinct offer_id of offer_sent events up to as_of, sent at its first
-- offer_sent (whose rep owns it), with its outcome as of as_of (metric 7).
-- Incremental on DuckDB: the offers the latest staging build changed are deleted and built again
-- from all their events; outcome and loss_reason (an offer expires as as_of moves) are refreshed
-- on every row by the post-hook.

{{ config(
    materialized=incremental_on_duckdb(),
    incremental_strategy='append',
    pre_hook="{{ delete_changed_keys('offer_id', 'offer') }}",
    post_hook=[
        "{{ refresh_as_of_columns({
            'outcome': offer_outcome('won_at', 'lost_at', 'expires_at'),
            'loss_reason': offer_loss_reason('won_at', 'lost_at', 'expires_at'),
        }) }}",
        "{{ log_table_metadata(after_own_hooks=true) }}",
    ],
) }}
-- depends_on: {{ ref('int_changed_keys') }}, {{ ref('int_changed_events') }}

with

events as {{ not_materialized() }} (

    select * from {{ events_to_rebuild('offer_id', 'offer') }}

),

as_of as (

    select as_of from {{ ref('int_as_of') }}

),

sendings as (

    select
        offer_id,
        contact_id,
        rep_id,
        occurred_at,
        amount,
        row_number() over (partition by offer_id order by occurred_at, event_id) as sending_rank
    from events
    where event_type = 'offer_sent'
        and offer_id is not null

),

offers as (

    select
        offer_id,
        contact_id,
        rep_id,
        occurred_at as sent_at,
        amount,
        {{ dbt.dateadd('day', var('offer_expiry_days'), 'occurred_at') }} as expires_at
    from sendings
    where sending_rank = 1

),

-- Won: any purchase carries the offer_id, whenever it happened (also after the expiry).
wins as (

    select
        offer_id,
        min(occurred_at) as won_at
    from events
    where event_type = 'purchase'
        and offer_id is not null
    group by offer_id

),

losses as (

    select
        offer_id,
        min(occurred_at) as lost_at
    from events
    where event_type = 'offer_lost'
        and offer_id is not null
    group by offer_id

),

final as (

    select
        offers.offer_id,
        offers.contact_id,
        offers.rep_id,
        offers.sent_at,
        {{ month_of('offers.sent_at') }} as sent_month,
        offers.amount,
        offers.expires_at,
        wins.won_at,
        losses.lost_at,
        {{ offer_outcome('wins.won_at', 'losses.lost_at', 'offers.expires_at') }} as outcome,
        {{ offer_loss_reason('wins.won_at', 'losses.lost_at', 'offers.expires_at') }} as loss_reason
    from offers
    cross join as_of
    left join wins
        on wins.offer_id = offers.offer_id
    left join losses
        on losses.offer_id = offers.offer_id

)

select * from final
