-- Every offer_lost, and every purchase carrying an offer_id, names an offer that an offer_sent event
-- sent (a warning: the metric still counts the purchase; the offer is unknown to offer_loss_rate).
-- Checked for the events the latest build staged (every event after a full build), against every
-- offer sent.
{{ config(severity='warn') }}

with

latest as (

    select event_id, event_type, offer_id
    from {{ ref('stg_sales_events') }}
    where batch_load_id = (select max(batch_load_id) from {{ ref('stg_sales_events') }})
        and event_type in ('offer_lost', 'purchase')
        and offer_id is not null

),

sent as (

    select distinct offer_id from {{ ref('stg_sales_events') }}
    where event_type = 'offer_sent'
        and offer_id in (select offer_id from latest)

)

select latest.event_id, latest.event_type, latest.offer_id
from latest
left join sent
    on sent.offer_id = latest.offer_id
where sent.offer_id is null
