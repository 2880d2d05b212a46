-- The activities of metrics 1, 2 and 3 counted by day and rep: what the marts conversations,
-- prospect_calls and prospecting_emails aggregate. Each of them scanned every activity (millions of
-- rows, twice with the `all` slice); this scans them once, and the marts read a few thousand rows.
-- Days with none of the three counts have no row. The counts are BIGINT on both engines (DuckDB's
-- sum of integers is a HUGEINT).

with

activities as (

    select * from {{ ref('int_activities') }}
    where is_conversation or is_prospect_call or is_prospecting_email

),

final as (

    select
        activity_date,
        event_month,
        rep_id,
        cast(sum({{ flag('is_conversation') }}) as {{ dbt.type_bigint() }}) as conversations,
        cast(sum({{ flag('is_prospect_call') }}) as {{ dbt.type_bigint() }}) as prospect_calls,
        cast(sum({{ flag('is_prospecting_email') }}) as {{ dbt.type_bigint() }}) as prospecting_emails
    from activities
    group by activity_date, event_month, rep_id

)

select * from final
