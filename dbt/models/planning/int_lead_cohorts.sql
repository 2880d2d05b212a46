-- Leads counted by lead source, owner, month of the lead and month of the first purchase (null:
-- not a customer up to as_of): everything the forecast needs, small whatever the number of leads.

{{ config(schema='intermediate') }}

with

leads as (

    select
        coalesce(lead_source, 'unknown') as lead_source,
        coalesce(rep_id, 'unknown') as rep_id,
        lead_month,
        first_purchase_month
    from {{ ref('int_leads') }}

),

final as (

    select
        lead_source,
        rep_id,
        lead_month,
        first_purchase_month,
        count(*) as leads
    from leads
    group by lead_source, rep_id, lead_month, first_purchase_month

)

select * from final
