-- Salesforce -> canonical events (docs/sources.md has these rules as a table).
--
-- Reads the views and seed tables lib/sources/mapping.py creates (every column text; the same from
-- the REST API and from the Data Export CSVs) and writes the temp table `mapped`: per record one row
-- with a `reject_reason`, one with a `no_event_reason`, or its events.
-- A person is `salesforce:contact:<ContactId>`, or `salesforce:lead:<LeadId>` while the lead is not
-- converted: a converted lead's events follow its contact.

create or replace temp table sf_people as
select id, 'salesforce:contact:' || id as person from sf_contacts
union all
select id, case when crm_bool(is_converted) and nullif(converted_contact_id, '') is not null
                then 'salesforce:contact:' || converted_contact_id else 'salesforce:lead:' || id end
from sf_leads;

-- A WhoId / ContactId as a person: known records first, else by the id's key prefix.
create or replace temp macro sf_person(who) as (
    coalesce((select min(p.person) from sf_people p where p.id = who),
             case left(who, 3) when '003' then 'salesforce:contact:' || who
                               when '00Q' then 'salesforce:lead:' || who end)
);

-- A rep is the user's e-mail (one name across CRMs); an owner not among the users keeps its id.
create or replace temp macro sf_rep(oid) as (
    case when nullif(oid, '') is not null then coalesce(
        (select min(lower(u.email)) from sf_users u where u.id = oid), 'salesforce:user:' || oid) end
);

-- Tasks and events whose WhatId is a Case (key prefix 500) are customer service.
create or replace temp macro sf_purpose(what) as (
    case when left(what, 3) = '500' or what in (select id from sf_cases) then 'support' else 'sales' end
);

-- An opportunity's contact: its primary contact role, else its only role.
create or replace temp table sf_opportunity_contacts as
select opportunity_id, count(*) as roles,
       coalesce(min(contact_id) filter (where crm_bool(is_primary)),
                case when count(distinct contact_id) = 1 then min(contact_id) end) as contact_id
from sf_contact_roles group by opportunity_id;

create or replace temp table mapped as
with
leads as (
    select l.*, crm_ts(l.last_modified) as record_updated_at, crm_ts(l.created) as created_at,
           crm_ts(l.converted_date) as converted_at, crm_bool(l.is_converted) as converted, sf_person(l.id) as person,
           case when crm_ts(l.created) is null then 'lead has no CreatedDate'
                when crm_bool(l.is_converted) and crm_ts(l.converted_date) is null
                then 'converted lead has no ConvertedDate' end as reject_reason
    from sf_leads l
),
tasks as (
    select t.*, crm_ts(t.last_modified) as record_updated_at, crm_ts(t.completed) as completed_at,
           sf_person(t.who_id) as person, s.task_subtype is not null as subtype_known, s.event_type, s.direction,
           d.outcome as call_outcome,
           case lower(t.call_type) when 'outbound' then 'outbound' when 'inbound' then 'inbound' end as call_direction
    from sf_tasks t
    left join seed_salesforce_task_subtypes s on s.task_subtype = seed_key(t.subtype)
    left join seed_salesforce_call_dispositions d on d.call_disposition = seed_key(t.call_disposition)
),
task_rows as (
    select 'task' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
        case
            when not subtype_known then 'unknown TaskSubtype ' || coalesce(subtype, '(empty)')
                 || ': add it to seeds/salesforce_task_subtypes.csv'
            when event_type is null or not crm_bool(is_closed) or lower(call_type) = 'internal' then null
            when completed_at is null then 'completed task has no CompletedDateTime (ActivityDate is date-only)'
            when nullif(who_id, '') is null then 'task has no WhoId (a contact or a lead)'
            when person is null then 'WhoId ' || who_id || ' is neither a contact (003) nor a lead (00Q)'
            when event_type = 'call' and call_direction is null
            then 'CallType is neither Outbound nor Inbound: ' || coalesce(call_type, '(empty)')
            when event_type = 'call' and nullif(trim(call_disposition), '') is null
            then 'call task has no CallDisposition'
            when event_type = 'call' and call_outcome is null
            then 'unknown CallDisposition ''' || call_disposition || ''': add it to seeds/salesforce_call_dispositions.csv'
        end as reject_reason,
        case
            when subtype_known and event_type is null then 'TaskSubtype ' || subtype || ' is neither a call nor an email'
            when not crm_bool(is_closed) then 'task not completed (Status ' || coalesce(status, '(empty)') || ')'
            when event_type = 'call' and lower(call_type) = 'internal' then 'internal call (CallType Internal)'
        end as no_event_reason,
        'salesforce:task:' || id as event_id, event_type, completed_at as occurred_at, person as contact_id,
        sf_rep(owner_id) as rep_id, case event_type when 'call' then call_direction else direction end as direction,
        sf_purpose(what_id) as purpose, case when event_type = 'call' then call_outcome end as outcome
    from tasks
),
-- Salesforce keeps no meeting outcome: an event that has ended is a meeting held; one still ahead
-- waits (recheck_at) and is mapped by the first sync after its end.
event_rows as (
    select 'event' as object, id as record_id, _dlt_load_id as load_id, crm_ts(last_modified) as record_updated_at,
        case
            when nullif(who_id, '') is null then 'event has no WhoId (a contact or a lead)'
            when sf_person(who_id) is null then 'WhoId ' || who_id || ' is neither a contact (003) nor a lead (00Q)'
            when crm_ts(start_at) is null then 'event has no StartDateTime'
        end as reject_reason,
        case when coalesce(crm_ts(end_at), crm_ts(start_at)) > getvariable('sync_now')
             then 'meeting has not ended yet' end as no_event_reason,
        coalesce(crm_ts(end_at), crm_ts(start_at)) as recheck_at,
        'salesforce:event:' || id as event_id, 'meeting' as event_type, crm_ts(start_at) as occurred_at,
        sf_person(who_id) as contact_id, sf_rep(owner_id) as rep_id, sf_purpose(what_id) as purpose,
        'held' as outcome
    from sf_events
),
opportunities as (
    select o.*, crm_ts(o.last_modified) as record_updated_at, crm_ts(o.close_date) as closed_at,
           crm_num(o.amount) as amount_value, crm_bool(o.is_won) as won, crm_bool(o.is_closed) as closed,
           c.contact_id as contact_ref, coalesce(c.roles, 0) as roles
    from sf_opportunities o left join sf_opportunity_contacts c on c.opportunity_id = o.id
),
opportunity_rows as (
    select 'opportunity' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
        case
            when not closed then null
            when roles = 0 then 'opportunity has no contact role (OpportunityContactRole)'
            when contact_ref is null
            then 'opportunity has ' || roles || ' contact roles and none is primary (OpportunityContactRole.IsPrimary)'
            when closed_at is null then 'closed opportunity has no CloseDate'
            when won and (amount_value is null or amount_value < 0)
            then 'won opportunity has no Amount: ' || coalesce(amount, '(empty)')
        end as reject_reason,
        case when not closed then 'opportunity is open (StageName ' || coalesce(stage, '(empty)') || ')'
        end as no_event_reason,
        'salesforce:opportunity:' || id as event_id, case when won then 'purchase' else 'offer_lost' end as event_type,
        closed_at as occurred_at, sf_person(contact_ref) as contact_id, sf_rep(owner_id) as rep_id,
        'salesforce:opportunity:' || id as offer_id, case when won then amount_value end as amount
    from opportunities
),
quotes as (
    select q.*, crm_ts(q.last_modified) as record_updated_at, crm_ts(q.created) as created_at,
           crm_num(q.grand_total) as amount_value, s.quote_status is not null as status_known,
           crm_bool(s.sent) as sent, crm_bool(s.lost) as lost, o.owner_id as opportunity_owner,
           coalesce(sf_person(nullif(q.contact_id, '')), sf_person(c.contact_id)) as person
    from sf_quotes q
    left join seed_salesforce_quote_statuses s on s.quote_status = seed_key(q.status)
    left join sf_opportunities o on o.id = q.opportunity_id
    left join sf_opportunity_contacts c on c.opportunity_id = q.opportunity_id
),
quote_facts as (
    select *,
        case
            when not status_known then 'unknown quote Status ' || coalesce(status, '(empty)')
                 || ': add it to seeds/salesforce_quote_statuses.csv'
            when not sent then null
            when nullif(opportunity_id, '') is null then 'quote has no OpportunityId'
            when person is null then 'quote has no ContactId, nor has its opportunity a contact role'
            when created_at is null then 'quote has no CreatedDate'
            when amount_value is null or amount_value < 0 then 'quote has no GrandTotal: ' || coalesce(grand_total, '(empty)')
        end as reject_reason,
        case when not sent then 'quote not presented (Status ' || status || ')' end as no_event_reason
    from quotes
)
select 'lead' as object, id as record_id, _dlt_load_id as load_id, record_updated_at, reject_reason,
       'salesforce:lead:' || id as event_id, 'lead_created' as event_type, created_at as occurred_at,
       person as contact_id, sf_rep(owner_id) as rep_id, lower(nullif(trim(lead_source), '')) as lead_source
from leads
union all by name
-- A converted lead was qualified: conversion is when Salesforce turns a lead into a contact.
select 'lead' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
       'salesforce:lead:' || id || ':converted' as event_id, 'lead_qualified' as event_type,
       converted_at as occurred_at, person as contact_id, sf_rep(owner_id) as rep_id
from leads where reject_reason is null and converted
union all by name select * from task_rows
union all by name select * from event_rows
union all by name select * from opportunity_rows
union all by name
select 'quote' as object, id as record_id, _dlt_load_id as load_id, record_updated_at, reject_reason,
       no_event_reason, 'salesforce:quote:' || id as event_id, 'offer_sent' as event_type, created_at as occurred_at,
       person as contact_id, sf_rep(opportunity_owner) as rep_id, 'salesforce:opportunity:' || opportunity_id as offer_id,
       amount_value as amount
from quote_facts
union all by name
-- A denied quote: the customer said no to that offer.
select 'quote' as object, id as record_id, _dlt_load_id as load_id, record_updated_at,
       'salesforce:quote:' || id || ':denied' as event_id, 'offer_lost' as event_type,
       record_updated_at as occurred_at, person as contact_id, sf_rep(opportunity_owner) as rep_id,
       'salesforce:opportunity:' || opportunity_id as offer_id
from quote_facts where reject_reason is null and sent and lost;
