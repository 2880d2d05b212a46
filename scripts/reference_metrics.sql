-- The yardstick of scripts/benchmark.py (step d): the ten metrics of docs/contract.md ("The ten
-- metrics") and docs/metrics.md, by month, for every slice (all, rep_id, lead_source), as plain
-- DuckDB SQL over the landing files, in one process. No Dagster, no dbt, no warehouse: what an
-- analyst with DuckDB could write instead of the pipeline.
--
-- Input: the variable `event_files` (a list of Parquet paths, in delivery order), as_of = the latest
-- occurred_at. Output: the table `reference_metric_values` with the columns of marts.metric_values
-- (rows only for months and slices with members: the marts' zero rows for empty months are absent).
-- Left out on purpose: the extra columns of some marts (medians, won/lost/open offers, emails per
-- call and their correlation) and the no-gaps spine; the rejected rows are skipped, not kept.
set TimeZone = 'UTC';

-- Read, type and validate in one pass (docs/contract.md, "Bad input": a row breaking any rule is
-- skipped), then keep the winning version of each event_id: the latest updated_at, a version with
-- an updated_at over one without, else the last delivered (the order of `event_files`, then
-- the row order).
create or replace temp table events as
with delivered as (
    select *, file_index,  -- the file's place in `event_files`
           try_cast(occurred_at as timestamptz)::timestamp as occurred_ts,  -- naive UTC (TimeZone above)
           try_cast(updated_at as timestamptz)::timestamp as updated_ts,
           try_cast(amount as double) as amount_num,
           case lower(cast(is_valid as varchar)) when 'true' then true when 'false' then false end as valid
    from read_parquet(getvariable('event_files'), file_row_number = true, union_by_name = true)
),
accepted as (  -- only the columns the metrics read, and the order of delivery
    select event_id, event_type, occurred_ts, updated_ts, contact_id, rep_id, lead_source, direction,
           purpose, outcome, offer_id, valid, file_index, file_row_number
    from delivered
    where event_id is not null and contact_id is not null
      and occurred_ts between timestamp '2000-01-01' and now()::timestamp + interval 24 hour
      and (updated_at is null or updated_ts between timestamp '2000-01-01' and now()::timestamp + interval 24 hour)
      and event_type in ('lead_created', 'lead_qualified', 'call', 'email', 'meeting', 'offer_sent',
                         'offer_lost', 'purchase', 'referral')
      and coalesce(direction in ('outbound', 'inbound'), true)
      and coalesce(purpose in ('sales', 'support'), true)
      and not (event_type = 'call' and outcome not in ('connected', 'voicemail', 'gatekeeper', 'no_answer', 'busy', 'wrong_number'))
      and not (event_type = 'meeting' and outcome not in ('held', 'no_show', 'cancelled'))
      and (is_valid is null or valid is not null)
      and (amount is null or (isfinite(amount_num) and amount_num >= 0))
      and not (event_type in ('call', 'email') and direction is null)
      and not (event_type in ('call', 'meeting') and outcome is null)
      and not (event_type in ('offer_sent', 'offer_lost') and offer_id is null)
      and not (event_type in ('offer_sent', 'purchase') and amount is null)
      and not (event_type = 'referral' and is_valid is null)
),
winners as (
    select arg_max(accepted, (coalesce(updated_ts, timestamp '0001-01-01'), file_index, file_row_number)) as e
    from accepted group by event_id
)
select e.event_id, e.event_type, e.occurred_ts as occurred_at, e.contact_id,
       coalesce(e.rep_id, 'unknown') as rep_id, coalesce(e.lead_source, 'unknown') as lead_source,
       e.direction, coalesce(e.purpose, 'sales') as purpose, e.outcome, e.offer_id,
       coalesce(e.valid, false) as is_valid,
       (e.event_type = 'call' and e.outcome = 'connected' or e.event_type = 'meeting' and e.outcome = 'held'
        or e.event_type = 'email' and e.direction = 'inbound') and coalesce(e.purpose, 'sales') = 'sales'
           as is_conversation
from winners;

set variable as_of = (select max(occurred_at) from events);

-- Per contact: first purchase, first lead_created (the lead, unless it bought before), first
-- lead_qualified. "First" is by (occurred_at, event_id).
create or replace temp table contacts as
with firsts as (
    select contact_id, event_type, occurred_at, event_id, rep_id, lead_source
    from events where event_type in ('purchase', 'lead_created', 'lead_qualified')
    qualify row_number() over (partition by contact_id, event_type order by occurred_at, event_id) = 1
)
select contact_id,
       max(occurred_at) filter (event_type = 'purchase') as fp_at,
       max(event_id) filter (event_type = 'purchase') as fp_event_id,
       max(rep_id) filter (event_type = 'purchase') as fp_rep,
       max(occurred_at) filter (event_type = 'lead_created') as lead_at,
       max(rep_id) filter (event_type = 'lead_created') as lead_rep,
       max(lead_source) filter (event_type = 'lead_created') as lead_source,
       max(occurred_at) filter (event_type = 'lead_qualified') as qualified_at
from firsts group by contact_id;

create or replace temp table leads as
select * from contacts where lead_at is not null and not coalesce(fp_at < lead_at, false);

-- One row per member of each metric's population: its month, slices and contribution.
create or replace temp table facts as
-- status at an event: prospect unless the contact's first purchase is strictly before it
with statuses as (
    select e.*, date_trunc('month', e.occurred_at)::date as month,
           not coalesce(c.fp_at < e.occurred_at, false) as to_prospect,
           e.direction = 'outbound' and e.purpose = 'sales' as outbound_sales
    from events e left join contacts c using (contact_id)
)
-- 1-3: counted events, by the event's month and rep
select 'conversations' as metric, month as period_start, rep_id, null as lead_source,
       1.0 as numerator, null::double as denominator
from statuses where is_conversation
union all
select 'prospect_calls', month, rep_id, null, 1.0, null
from statuses where event_type = 'call' and outbound_sales and to_prospect
union all
select 'prospecting_emails', month, rep_id, null, 1.0, null
from statuses where event_type = 'email' and outbound_sales and to_prospect
union all
-- 4: conversations from qualification to first purchase, per customer qualified by then
select 'conversations_to_close', date_trunc('month', c.fp_at)::date, c.fp_rep, null,
       (select count(*) from events e
        where e.contact_id = c.contact_id and e.is_conversation
          and e.occurred_at between c.qualified_at and c.fp_at), 1.0
from contacts c where c.qualified_at <= c.fp_at
union all
-- 5: days from lead time to first purchase, per lead that bought
select 'days_to_customer', date_trunc('month', fp_at)::date, lead_rep, lead_source,
       (epoch(fp_at) - epoch(lead_at)) / 86400, 1.0
from leads where fp_at >= lead_at
union all
-- 6: leads of the month that bought at or after their lead time
select 'prospect_conversion_rate', date_trunc('month', lead_at)::date, lead_rep, lead_source,
       case when fp_at >= lead_at then 1.0 else 0.0 end, 1.0
from leads
union all
-- 7: decided offers by the month of their first offer_sent: lost (explicitly or expired) of won + lost
select 'offer_loss_rate', date_trunc('month', sent_at)::date, rep_id, null,
       case when won then 0.0 else 1.0 end, 1.0
from (
    select s.occurred_at as sent_at, s.rep_id,
           exists (select 1 from events p where p.event_type = 'purchase' and p.offer_id = s.offer_id) as won,
           exists (select 1 from events l where l.event_type = 'offer_lost' and l.offer_id = s.offer_id)
               or s.occurred_at + interval 90 day <= getvariable('as_of') as lost
    from events s where s.event_type = 'offer_sent'
    qualify row_number() over (partition by s.offer_id order by s.occurred_at, s.event_id) = 1
) where won or lost
union all
-- 8: mature leads without a conversation, qualification or purchase within 30 days of lead time
select 'never_engaged_rate', date_trunc('month', l.lead_at)::date, l.lead_rep, l.lead_source,
       case when exists (select 1 from events e
                         where e.contact_id = l.contact_id
                           and (e.is_conversation or e.event_type in ('lead_qualified', 'purchase'))
                           and e.occurred_at between l.lead_at and l.lead_at + interval 30 day)
            then 0.0 else 1.0 end, 1.0
from leads l where l.lead_at + interval 30 day <= getvariable('as_of')
union all
-- 9: mature customers with another purchase within 90 days of the first
select 'repeat_purchase_90d_rate', date_trunc('month', c.fp_at)::date, c.fp_rep, null,
       case when exists (select 1 from events e
                         where e.contact_id = c.contact_id and e.event_type = 'purchase'
                           and e.event_id <> c.fp_event_id
                           and e.occurred_at between c.fp_at and c.fp_at + interval 90 day)
            then 1.0 else 0.0 end, 1.0
from contacts c where c.fp_at + interval 90 day <= getvariable('as_of')
union all
-- 10: mature customers with a valid referral within 6 calendar months of the first purchase
select 'referral_6m_rate', date_trunc('month', c.fp_at)::date, c.fp_rep, null,
       case when exists (select 1 from events e
                         where e.contact_id = c.contact_id and e.event_type = 'referral' and e.is_valid
                           and e.occurred_at between c.fp_at and c.fp_at + interval 6 month)
            then 1.0 else 0.0 end, 1.0
from contacts c where c.fp_at + interval 6 month <= getvariable('as_of');

-- Sum by month and slice; a rate is numerator / denominator (null when 0), a count its numerator.
create or replace temp table reference_metric_values as
select metric, period_start,
       case when grouping(rep_id) = 0 then 'rep_id' when grouping(lead_source) = 0 then 'lead_source'
            else 'all' end as dimension,
       coalesce(rep_id, lead_source) as dimension_value,
       sum(numerator) as numerator, sum(denominator) as denominator,
       case when sum(denominator) is null then sum(numerator)
            else sum(numerator) / nullif(sum(denominator), 0) end as value
from facts
group by grouping sets ((metric, period_start), (metric, period_start, rep_id),
                        (metric, period_start, lead_source))
having grouping(lead_source) = 1 or lead_source is not null;
