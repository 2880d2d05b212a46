-- One row per offer: a distinct offer_id of offer_sent events up to as_of, sent at its first
-- offer_sent (whose rep owns it), with its outcome as of as_of (metric 7).

with

events as (

    select * from {{ ref('int_events') }}

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
        case
            when wins.won_at is not null then 'won'
            when losses.lost_at is not null then 'lost'
            when offers.expires_at <= as_of.as_of then 'lost'
            else 'open'
        end as outcome,
        case
            when wins.won_at is not null then null
            when losses.lost_at is not null then 'lost'
            when offers.expires_at <= as_of.as_of then 'expired'
        end as loss_reason
    from offers
    cross join as_of
    left join wins
        on wins.offer_id = offers.offer_id
    left join losses
        on losses.offer_id = offers.offer_id

)

select * from final
