-- HubSpot -> canonical events (docs/sources.md has these rules as a table).
--
-- Reads the views and seed tables lib/sources/mapping.py creates (every column text) and writes the
-- temp table `mapped`: for each record either one row with a `reject_reason` (naming the seed table
-- to extend when that is the fix), one row with a `no_event_reason` (an open deal, a draft quote),
-- or its events. Ids: hubspot:<object>:<id>; a contact is `hubspot:contact:<id>` everywhere.

-- A rep is the owner's e-mail (one name across CRMs); an owner HubSpot no longer lists keeps its id.
create or replace temp table hs_owner_emails as
select id as owner_id, lower(trim(email)) as email from hs_owners where nullif(trim(email), '') is not null;

create or replace temp macro hs_rep(oid) as (
    case when nullif(oid, '') is not null then coalesce(
        (select min(e.email) from hs_owner_emails e where e.owner_id = oid), 'hubspot:owner:' || oid) end
);

-- Of several associated records, the one with the smallest id (the oldest): a stable choice.
create or replace temp table hs_associated as
with associations as (
    select 'calls' as from_object, from_id, to_object, to_id from hs_calls_associations
    union all select 'emails', from_id, to_object, to_id from hs_emails_associations
    union all select 'meetings', from_id, to_object, to_id from hs_meetings_associations
    union all select 'deals', from_id, to_object, to_id from hs_deals_associations
    union all select 'quotes', from_id, to_object, to_id from hs_quotes_associations
)
select from_object, from_id, to_object, first(to_id order by length(to_id), to_id) as to_id
from associations where nullif(to_id, '') is not null
group by all;

create or replace temp macro hs_first(obj, rid, target) as (
    (select min(a.to_id) from hs_associated a where a.from_object = obj and a.from_id = rid and a.to_object = target)
);

-- A deal stage's outcome: the seed table first (users override), else the stage's metadata from the
-- pipelines API: closed with probability 1 = won, closed with probability 0 = lost, not closed = open.
-- Never the stage's label.
create or replace temp table hs_stage_outcomes as
with from_metadata as (
    select seed_key(p.id) as pipeline_id, seed_key(s.id) as stage_id, s.label, s.is_closed, s.probability,
           case when lower(s.is_closed) = 'false' then 'open'
                when lower(s.is_closed) = 'true' and crm_num(s.probability) = 1 then 'won'
                when lower(s.is_closed) = 'true' and crm_num(s.probability) = 0 then 'lost' end as outcome
    from hs_pipeline_stages s join hs_pipelines p on s._dlt_parent_id = p._dlt_id
)
select coalesce(seed.pipeline_id, m.pipeline_id) as pipeline_id, coalesce(seed.stage_id, m.stage_id) as stage_id,
       m.label, m.is_closed, m.probability, coalesce(seed.outcome, m.outcome) as outcome
from from_metadata m
full outer join seed_hubspot_deal_stages seed on seed.pipeline_id = m.pipeline_id and seed.stage_id = m.stage_id;

create or replace temp table mapped as
with
contacts as (
    select c.*, 'hubspot:contact:' || c.id as person, crm_ts(c.updated_at) as record_updated_at,
           crm_ts(coalesce(c.createdate, c.created_at)) as created, crm_ts(c.sql_date) as qualified,
           nullif(trim(c.referrer), '') as referrer_value,
           -- the referrer: a contact named by its id or e-mail; someone HubSpot does not know is not valid
           (select min(r.id) from hs_contacts r
            where r.id = trim(c.referrer) or lower(r.email) = lower(trim(c.referrer))) as referrer_id,
           case when crm_ts(coalesce(c.createdate, c.created_at)) is null then 'contact has no createdate'
                when c.sql_date is not null and crm_ts(c.sql_date) is null
                then 'hs_lifecyclestage_salesqualifiedlead_date is not a date: ' || c.sql_date end as reject_reason
    from hs_contacts c
),
activities as (
    select 'call' as object, 'calls' as hs_type, id, updated_at, hs_timestamp as at, owner_id, direction,
           disposition, status, null as outcome_value, _dlt_load_id
    from hs_calls
    union all by name
    select 'email' as object, 'emails' as hs_type, id, updated_at, hs_timestamp as at, owner_id, direction,
           _dlt_load_id
    from hs_emails
    union all by name
    select 'meeting' as object, 'meetings' as hs_type, id, updated_at, coalesce(start_time, hs_timestamp) as at,
           owner_id, outcome as outcome_value, _dlt_load_id
    from hs_meetings
),
activity_facts as (
    select a.*, crm_ts(a.updated_at) as record_updated_at, crm_ts(a.at) as occurred,
           hs_first(a.hs_type, a.id, 'contacts') as contact_ref,
           -- activities tied to a ticket are customer service, never sales activity
           case when hs_first(a.hs_type, a.id, 'tickets') is not null then 'support' else 'sales' end as purpose,
           case when a.object = 'call' then case upper(a.direction) when 'OUTBOUND' then 'outbound'
                                                                     when 'INBOUND' then 'inbound' end
                when a.object = 'email' then ed.direction end as canonical_direction,
           cd.outcome as call_outcome, d.label as disposition_label,
           mo.meeting_outcome is not null as meeting_outcome_known, mo.outcome as meeting_outcome
    from activities a
    left join seed_hubspot_call_dispositions cd on a.object = 'call' and cd.disposition_id = seed_key(a.disposition)
    left join hs_dispositions d on a.object = 'call' and d.id = a.disposition
    left join seed_hubspot_email_directions ed on a.object = 'email' and ed.email_direction = seed_key(a.direction)
    left join seed_hubspot_meeting_outcomes mo on a.object = 'meeting' and mo.meeting_outcome = seed_key(a.outcome_value)
),
activity_rows as (
    select object, id as record_id, _dlt_load_id as load_id, record_updated_at,
        case
            when contact_ref is null then object || ' has no associated contact'
            when occurred is null then object || ' has no ' || case object when 'meeting' then 'hs_meeting_start_time'
                                                                        else 'hs_timestamp' end
            when object = 'call' and canonical_direction is null
            then 'hs_call_direction is neither INBOUND nor OUTBOUND: ' || coalesce(direction, '(empty)')
            when object = 'call' and disposition is null
                 and coalesce(upper(status), '') not in ('QUEUED', 'RINGING', 'CONNECTING', 'IN_PROGRESS', 'CALLING_CRM_USER')
            then 'call has no disposition (hs_call_disposition); hs_call_status: ' || coalesce(status, '(empty)')
            when object = 'call' and disposition is not null and call_outcome is null
            then 'unknown call disposition ' || disposition || coalesce(' (' || disposition_label || ')', '')
                 || ': add it to seeds/hubspot_call_dispositions.csv'
            when object = 'email' and canonical_direction is null
            then 'unknown hs_email_direction ' || coalesce(direction, '(empty)')
                 || ': add it to seeds/hubspot_email_directions.csv'
            when object = 'meeting' and not meeting_outcome_known
            then 'unknown hs_meeting_outcome ' || coalesce(outcome_value, '(empty)')
                 || ': add it to seeds/hubspot_meeting_outcomes.csv'
        end as reject_reason,
        case
            when object = 'call' and disposition is null then 'call not finished (hs_call_status ' || status || ')'
            when object = 'meeting' and meeting_outcome is null
            then 'meeting not held yet (hs_meeting_outcome ' || outcome_value || ')'
        end as no_event_reason,
        'hubspot:' || object || ':' || id as event_id, object as event_type, occurred as occurred_at,
        'hubspot:contact:' || contact_ref as contact_id, hs_rep(owner_id) as rep_id,
        canonical_direction as direction, purpose,
        case object when 'call' then call_outcome when 'meeting' then meeting_outcome end as outcome
    from activity_facts
),
deal_facts as (
    select d.*, crm_ts(d.updated_at) as record_updated_at, crm_ts(d.closedate) as closed_at,
           crm_num(d.amount) as amount_value, hs_first('deals', d.id, 'contacts') as contact_ref,
           s.stage_id is not null as stage_known, s.outcome as stage_outcome, s.label as stage_label,
           s.is_closed as stage_is_closed, s.probability as stage_probability
    from hs_deals d
    left join hs_stage_outcomes s on s.pipeline_id = seed_key(d.pipeline) and s.stage_id = seed_key(d.stage)
),
deal_rows as (
    select 'deal' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
        case
            when not stage_known then 'unknown deal stage ' || coalesce(stage, '(empty)') || ' of pipeline '
                 || coalesce(pipeline, '(empty)') || ': add it to seeds/hubspot_deal_stages.csv'
            when stage_outcome is null then 'deal stage ' || coalesce(stage_label, stage) || ' (' || stage
                 || ') is closed with probability ' || coalesce(stage_probability, '(empty)')
                 || ', neither won (1) nor lost (0): add it to seeds/hubspot_deal_stages.csv'
            when stage_outcome = 'open' then null
            when contact_ref is null then 'closed deal has no associated contact'
            when closed_at is null then 'closed deal has no closedate'
            when stage_outcome = 'won' and (amount_value is null or amount_value < 0)
            then 'won deal has no amount: ' || coalesce(amount, '(empty)')
        end as reject_reason,
        case when stage_outcome = 'open' then 'deal is open (stage ' || coalesce(stage_label, stage) || ')'
        end as no_event_reason,
        'hubspot:deal:' || id as event_id,
        case stage_outcome when 'won' then 'purchase' when 'lost' then 'offer_lost' end as event_type,
        closed_at as occurred_at, 'hubspot:contact:' || contact_ref as contact_id, hs_rep(owner_id) as rep_id,
        -- the offer is the deal: its quotes are its offer_sent, its close is the purchase or the loss
        'hubspot:deal:' || id as offer_id,
        case when stage_outcome = 'won' then amount_value end as amount
    from deal_facts
),
quote_facts as (
    select q.*, crm_ts(q.updated_at) as record_updated_at, crm_ts(coalesce(q.createdate, q.created_at)) as created,
           crm_num(q.amount) as amount_value, s.quote_status is not null as status_known,
           crm_bool(s.sent) as sent, hs_first('quotes', q.id, 'deals') as deal_ref,
           coalesce(hs_first('quotes', q.id, 'contacts'),
                    hs_first('deals', hs_first('quotes', q.id, 'deals'), 'contacts')) as contact_ref,
           coalesce(hs_rep(q.owner_id), hs_rep((select min(d.owner_id) from hs_deals d
                                                where d.id = hs_first('quotes', q.id, 'deals')))) as rep
    from hs_quotes q
    left join seed_hubspot_quote_statuses s on s.quote_status = seed_key(q.status)
),
quote_rows as (
    select 'quote' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
        case
            when not status_known then 'unknown quote hs_status ' || coalesce(status, '(empty)')
                 || ': add it to seeds/hubspot_quote_statuses.csv'
            when not sent then null
            when deal_ref is null then 'quote has no associated deal'
            when contact_ref is null then 'quote has no associated contact, nor has its deal'
            when created is null then 'quote has no hs_createdate'
            when amount_value is null or amount_value < 0 then 'quote has no amount: ' || coalesce(amount, '(empty)')
        end as reject_reason,
        case when not sent then 'quote not sent (hs_status ' || status || ')' end as no_event_reason,
        'hubspot:quote:' || id as event_id, 'offer_sent' as event_type, created as occurred_at,
        'hubspot:contact:' || contact_ref as contact_id, rep as rep_id, 'hubspot:deal:' || deal_ref as offer_id,
        amount_value as amount
    from quote_facts
)
select 'contact' as object, id as record_id, _dlt_load_id as load_id, record_updated_at, reject_reason,
       person as event_id, 'lead_created' as event_type, created as occurred_at, person as contact_id,
       hs_rep(owner_id) as rep_id, lower(nullif(trim(original_source), '')) as lead_source
from contacts
union all by name
select 'contact' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
       person || ':qualified' as event_id, 'lead_qualified' as event_type, qualified as occurred_at,
       person as contact_id, hs_rep(owner_id) as rep_id
from contacts where reject_reason is null and qualified is not null
union all by name
select 'contact' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
       person || ':referral' as event_id, 'referral' as event_type, created as occurred_at,
       'hubspot:contact:' || coalesce(referrer_id, referrer_value) as contact_id, hs_rep(owner_id) as rep_id,
       person as referred_contact_id, referrer_id is not null as is_valid
from contacts where reject_reason is null and referrer_value is not null
union all by name select * from activity_rows
union all by name select * from deal_rows
union all by name select * from quote_rows;
