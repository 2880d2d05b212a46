-- One row per event_id: the latest updated_at wins (versions without updated_at rank below those
-- with one); otherwise the last delivery (highest load_id, then row_number) wins. Rows of held loads
-- (over the reject limit, not released) stay out.

with held as (

    select load_id from {{ source('raw', 'held_load_ids') }}

),

source as (

    select * from {{ source('raw', 'sales_events') }}
    where load_id not in (select load_id from held)

),

ranked as (

    select
        *,
        row_number() over (
            partition by event_id
            order by
                case when updated_at is null then 0 else 1 end desc,
                updated_at desc,
                load_id desc,
                row_number desc
        ) as version_rank
    from source

),

final as (

    select
        event_id,
        event_type,
        occurred_at,
        contact_id,
        rep_id,
        coalesce(lead_source, 'unknown') as lead_source,
        direction,
        coalesce(purpose, 'sales') as purpose,
        outcome,
        offer_id,
        amount,
        referred_contact_id,
        is_valid,
        updated_at,
        source_file,
        load_id
    from ranked
    where version_rank = 1

)

select * from final
