"""DDL of the raw layer (docs/architecture.md): created if missing, never rewritten."""

RAW_DDL = """
create schema if not exists raw;
create sequence if not exists raw.load_id_seq start 1;

create table if not exists raw.loaded_files (
    load_id        bigint primary key,
    source_file    varchar not null,
    file_hash      varchar not null,
    file_format    varchar not null,
    size_bytes     bigint not null,
    rows_read      bigint not null,
    rows_accepted  bigint not null,
    rows_rejected  bigint not null,
    status         varchar not null,
    error          varchar,
    run_id         varchar,
    loaded_at      timestamp not null
);

create table if not exists raw.sales_events (
    event_id             varchar not null,
    event_type           varchar not null,
    occurred_at          timestamp not null,
    contact_id           varchar not null,
    rep_id               varchar,
    lead_source          varchar,
    direction            varchar,
    purpose              varchar,
    outcome              varchar,
    offer_id             varchar,
    amount               double,
    referred_contact_id  varchar,
    is_valid             boolean,
    updated_at           timestamp,
    raw_record           varchar,  -- an accepted row keeps only its unknown columns (null: none)
    source_file          varchar not null,
    row_number           bigint not null,
    load_id              bigint not null,
    loaded_at            timestamp not null
);

-- A load over the reject limit is held out of staging until a later load of the same file supersedes
-- it or someone releases it on purpose (lib/ingestion/gate.py).
create table if not exists raw.load_holds (
    load_id       bigint primary key,
    source_file   varchar not null,
    reason        varchar not null,
    run_id        varchar,
    held_at       timestamp not null,
    released_at   timestamp,
    release_note  varchar
);

-- The loads whose rows stay out of staging: held and not released (a superseded hold stays out).
create or replace view raw.held_load_ids as
select load_id from raw.load_holds where released_at is null;

create table if not exists raw.rejected_events (
    source_file  varchar not null,
    row_number   bigint not null,
    raw_record   varchar,
    reason       varchar not null,
    load_id      bigint not null,
    loaded_at    timestamp not null
);
"""


def ensure_raw_schema(con) -> None:
    """Create the raw schema and its tables on a DuckDB connection if they do not exist, and bring an
    older warehouse's tables up to date."""
    con.execute(RAW_DDL)
    _upgrade_raw_record(con)


def _upgrade_raw_record(con) -> None:
    """A warehouse made before accepted rows kept only their unknown columns has raw_record NOT NULL."""
    [[nullable]] = con.execute(
        "select is_nullable from information_schema.columns"
        " where table_schema = 'raw' and table_name = 'sales_events' and column_name = 'raw_record'"
    ).fetchall()
    if nullable == "NO":
        con.execute("alter table raw.sales_events alter column raw_record drop not null")
