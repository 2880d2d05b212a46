-- Every offer_lost, and every purchase carrying an offer_id, names an offer that an offer_sent event
-- sent (a warning: the metric still counts the purchase; the offer is unknown to offer_loss_rate).
{{ config(severity='warn') }}

with

sent as (

    select distinct offer_id from {{ ref('stg_sales_events') }}
    where event_type = 'offer_sent'

)

select events.event_id, events.event_type, events.offer_id
from {{ ref('stg_sales_events') }} as events
left join sent
    on sent.offer_id = events.offer_id
where events.event_type in ('offer_lost', 'purchase')
    and events.offer_id is not null
    and sent.offer_id is null
