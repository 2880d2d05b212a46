"""Map dlt's CRM tables to canonical events (docs/contract.md, "Sources"; docs/sources.md), in DuckDB SQL.

One pass over a CRM's staging file (staging.py):

1. Views over dlt's tables with every column the SQL reads, as text (a column dlt never saw, because
   no record had a value, is null; a table never loaded is empty), so the SQL does not depend on
   what the API happened to return, nor on whether it came from the API or a CSV export.
2. The seed tables (seeds/*.csv), checked: a bad row is an error naming its file and line.
3. `sql/<crm>.sql` maps every record to rows of the temp table `mapped`: one rejected row (with a
   reason naming the seed table to extend), one row without event (an open deal, a draft quote,
   ...), or its events.
4. The records of this sync: those dlt loaded since the last mapping, those still rejected (a seed
   may have been extended since), those waiting for time to pass (`recheck_at`), and those whose
   dependencies changed. Their events go to one Parquet file `<landing>/<crm>/events-<sync>.parquet`
   (none when there are no events), and every one of them to the ledger
   `mapping.record_outcomes`: records = mapped + no_event + rejected, per sync.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path

import duckdb

from dagster_project.lib.vocabulary import CANONICAL_COLUMNS

# What sql/<crm>.sql writes into `mapped` (columns it leaves out are null).
MAPPED_COLUMNS = {
    "object": "varchar", "record_id": "varchar", "load_id": "varchar", "record_updated_at": "timestamp",
    "reject_reason": "varchar", "no_event_reason": "varchar", "recheck_at": "timestamp",
    "event_id": "varchar", "event_type": "varchar", "occurred_at": "timestamp", "contact_id": "varchar",
    "rep_id": "varchar", "lead_source": "varchar", "direction": "varchar", "purpose": "varchar",
    "outcome": "varchar", "offer_id": "varchar", "amount": "double", "referred_contact_id": "varchar",
    "is_valid": "boolean",
}  # fmt: skip

SEEDS_DIR = Path(str(resources.files(__package__) / "seeds"))
SQL_DIR = Path(str(resources.files(__package__) / "sql"))

LEDGER_DDL = """
create schema if not exists mapping;
create table if not exists mapping.syncs (
    sync_id varchar primary key, crm varchar, mapped_at timestamp, remap_all boolean,
    records bigint, records_mapped bigint, records_no_event bigint, records_rejected bigint,
    events bigint, events_file varchar);
create table if not exists mapping.mapped_loads (load_id varchar primary key, sync_id varchar);
create table if not exists mapping.record_outcomes (
    sync_id varchar, object varchar, record_id varchar, record_updated_at timestamp,
    status varchar, events bigint, reason varchar, recheck_at timestamp);
create or replace view mapping.current_outcomes as
select * from mapping.record_outcomes
qualify row_number() over (partition by object, record_id order by sync_id desc) = 1;
"""

# Text in, UTC timestamp (naive) or number or boolean out; null when it does not parse.
MACROS = """
create or replace temp macro crm_ts(x) as (
    case when regexp_full_match(x, '[0-9]{11,13}') then make_timestamp(cast(x as bigint) * 1000)
         else timezone('UTC', try_cast(x as timestamptz)) end);
create or replace temp macro crm_num(x) as (try_cast(x as double));
create or replace temp macro crm_bool(x) as (coalesce(lower(trim(x)) in ('true', '1'), false));
create or replace temp macro seed_key(x) as (coalesce(nullif(lower(trim(x)), ''), '(empty)'));
"""


class SeedError(ValueError):
    """A seed table row that cannot be used; the message names the file, the line and the accepted values."""


@dataclass(frozen=True)
class View:
    """A view `name` over dlt's table `table`: view column -> dlt column (normalized name, or None
    for a column that is always null)."""

    name: str
    table: str
    columns: dict[str, str | None]


@dataclass(frozen=True)
class Seed:
    """A CSV table users extend; `allowed` lists the accepted values of constrained columns."""

    name: str
    columns: list[str]
    allowed: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CrmMapping:
    crm: str
    views: list[View]
    seeds: list[Seed]
    # Extra (object, record_id) pairs to map again: records whose dependencies were loaded anew.
    # May use the temp table `new_loads(load_id)`.
    dependents_sql: str | None = None


@dataclass(frozen=True)
class SyncResult:
    sync_id: str
    records: int
    mapped: int
    no_event: int
    rejected: int
    events: int
    events_file: Path | None
    reasons: list[tuple[str, str, str, int]]  # (object, status, reason, records), most frequent first

    def balanced(self) -> bool:
        return self.records == self.mapped + self.no_event + self.rejected


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_seed(seed: Seed, folder: Path = SEEDS_DIR) -> list[dict[str, str]]:
    """The rows of a seed file, checked; keys are lower-cased and trimmed (matching is case-insensitive)."""
    path = folder / f"{seed.name}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != seed.columns:
            raise SeedError(f"{path}: the header must be {','.join(seed.columns)}, not {reader.fieldnames}")
        rows = []
        for line, row in enumerate(reader, start=2):
            row = {k: (v or "").strip() for k, v in row.items()}
            for column, allowed in seed.allowed.items():
                if row[column].lower() not in allowed:
                    raise SeedError(
                        f"{path}, line {line}: {column} must be one of {', '.join(allowed)}, not {row[column]!r}"
                    )
            rows.append(row)
    return rows


def _load_seed(con: duckdb.DuckDBPyConnection, seed: Seed, folder: Path) -> None:
    rows = read_seed(seed, folder)
    columns = ", ".join(f"{_quote(c)} varchar" for c in seed.columns)
    con.execute(f"create or replace temp table seed_{seed.name} ({columns})")
    if rows:
        # The first column is the key the SQL joins on, normalised like `seed_key` normalises data;
        # an empty value elsewhere is null ("no event" where the seed allows it).
        key = seed.columns[0]
        values = [
            [r[key].lower() or "(empty)", *(r[c].lower() or None for c in seed.columns[1:])] for r in rows
        ]
        con.executemany(f"insert into seed_{seed.name} values ({', '.join('?' * len(seed.columns))})", values)


def _create_views(con: duckdb.DuckDBPyConnection, schema: str, views: list[View]) -> None:
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [schema]
    ).fetchall():
        present.setdefault(table, set()).add(column)
    for view in views:
        columns = {**view.columns, "_dlt_load_id": "_dlt_load_id"}
        found = present.get(view.table, set())
        select = ", ".join(
            f"cast({_quote(source)} as varchar) as {_quote(name)}"
            if source is not None and source in found
            else f"cast(null as varchar) as {_quote(name)}"
            for name, source in columns.items()
        )
        source = f"{_quote(schema)}.{_quote(view.table)}" if found else "(select 1) as nothing where false"
        con.execute(f"create or replace temp view {_quote(view.name)} as select {select} from {source}")


def _events_file(landing_dir: Path, crm: str, sync_id: str) -> Path:
    return landing_dir / crm / f"events-{sync_id}.parquet"


def _write_events(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Write this sync's events as canonical Parquet, atomically (the landing sensor may be looking)."""
    count = con.execute("select count(*) from sync_events").fetchone()[0]
    if count == 0:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    literal = partial.as_posix().replace("'", "''")
    con.execute(f"copy sync_events to '{literal}' (format parquet)")
    os.replace(partial, path)
    return count


def _run_mapping_sql(con: duckdb.DuckDBPyConnection, crm: str) -> None:
    """Run sql/<crm>.sql, then give its `mapped` table the full, typed column set as `mapped_rows`."""
    con.execute((SQL_DIR / f"{crm}.sql").read_text(encoding="utf-8"))
    present = {row[0] for row in con.execute("describe mapped").fetchall()}
    columns = ", ".join(
        f"cast({_quote(c) if c in present else 'null'} as {t}) as {_quote(c)}"
        for c, t in MAPPED_COLUMNS.items()
    )
    con.execute(f"create or replace temp table mapped_rows as select {columns} from mapped")


def _select_records(con, mapping: CrmMapping, now: datetime, remap_all: bool) -> None:
    loaded = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = '_dlt_loads'",
        [mapping.crm],
    ).fetchone()[0]
    loads = (
        f"{_quote(mapping.crm)}._dlt_loads" if loaded else "(select '' as load_id, 0 as status where false)"
    )
    con.execute(
        f"""
        create or replace temp table new_loads as
        select load_id from {loads}
        where status = 0 and load_id not in (select load_id from mapping.mapped_loads)
        """
    )
    dependents = (
        f"union select object, record_id from ({mapping.dependents_sql})" if mapping.dependents_sql else ""
    )
    con.execute(
        f"""
        create or replace temp table selected as
        select distinct object, record_id from mapped_rows
        where ? or load_id in (select load_id from new_loads)
        union
        select object, record_id from mapping.current_outcomes
        where status = 'rejected' or (status = 'no_event' and recheck_at <= ?)
        {dependents}
        """,
        [remap_all, now],
    )


def _canonical_select() -> str:
    """The canonical columns, timestamps as ISO-8601 UTC text; `updated_at` is the record's modification."""
    iso = "'%Y-%m-%dT%H:%M:%S.%fZ'"
    special = {
        "occurred_at": f"strftime(r.occurred_at, {iso})",
        "updated_at": f"strftime(r.record_updated_at, {iso})",
    }
    return ", ".join(f"{special.get(c, 'r.' + c)} as {c}" for c in CANONICAL_COLUMNS)


def _sync_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        create or replace temp table sync_rows as
        select m.* from mapped_rows m semi join selected s on s.object = m.object and s.record_id = m.record_id
        """
    )
    con.execute(
        """
        create or replace temp table sync_outcomes as
        select object, record_id, max(record_updated_at) as record_updated_at,
               case when count(reject_reason) > 0 then 'rejected'
                    when count(no_event_reason) > 0 then 'no_event' else 'mapped' end as status,
               count(event_id) filter (where reject_reason is null and no_event_reason is null) as events,
               coalesce(min(reject_reason), min(no_event_reason)) as reason,
               min(recheck_at) as recheck_at
        from sync_rows group by object, record_id
        """
    )
    # Events of mapped records only: a record with any rejected part gives none (never half a record).
    con.execute(
        f"""
        create or replace temp table sync_events as
        select {_canonical_select()}
        from sync_rows r join sync_outcomes o on o.object = r.object and o.record_id = r.record_id
        where o.status = 'mapped' and r.event_id is not null
        order by r.event_id
        """
    )


def _record_sync(con, mapping: CrmMapping, sync_id: str, now: datetime, remap_all: bool, path: Path | None):
    con.execute("begin transaction")
    con.execute(
        """
        insert into mapping.record_outcomes
        select ?, object, record_id, record_updated_at, status, events, reason, recheck_at from sync_outcomes
        """,
        [sync_id],
    )
    con.execute("insert into mapping.mapped_loads select load_id, ? from new_loads", [sync_id])
    con.execute(
        """
        insert into mapping.syncs
        select ?, ?, ?, ?, count(*), count(*) filter (where status = 'mapped'),
               count(*) filter (where status = 'no_event'), count(*) filter (where status = 'rejected'),
               (select count(*) from sync_events), ?
        from sync_outcomes
        """,
        [sync_id, mapping.crm, now, remap_all, str(path) if path else None],
    )
    con.execute("commit")


def map_to_landing(
    mapping: CrmMapping,
    database: Path,
    landing_dir: Path,
    now: datetime,
    remap_all: bool = False,
    seeds_dir: Path = SEEDS_DIR,
) -> SyncResult:
    """Map what changed since the last sync into `<landing_dir>/<crm>/`; return the sync's accounting.

    `now` (naive UTC) is the sync's instant: its id, and the SQL variable `sync_now` that rules
    waiting for time (a meeting that has not ended yet) compare with.
    """
    sync_id = now.strftime("%Y%m%dT%H%M%S%fZ")
    database.parent.mkdir(parents=True, exist_ok=True)  # nothing extracted yet: a sync of no records
    with duckdb.connect(str(database)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(LEDGER_DDL)
        con.execute(MACROS)
        con.execute("set variable sync_now = ?", [now])
        for seed in mapping.seeds:
            _load_seed(con, seed, seeds_dir)
        _create_views(con, mapping.crm, mapping.views)
        _run_mapping_sql(con, mapping.crm)
        _select_records(con, mapping, now, remap_all)
        _sync_tables(con)
        path = _events_file(landing_dir, mapping.crm, sync_id)
        events = _write_events(con, path)
        _record_sync(con, mapping, sync_id, now, remap_all, path if events else None)
        counts = con.execute(
            """
            select count(*), count(*) filter (where status = 'mapped'),
                   count(*) filter (where status = 'no_event'), count(*) filter (where status = 'rejected')
            from sync_outcomes
            """
        ).fetchone()
        reasons = con.execute(
            """
            select object, status, reason, count(*) from sync_outcomes where status <> 'mapped'
            group by all order by count(*) desc, object, reason
            """
        ).fetchall()
    return SyncResult(sync_id, *counts, events, path if events else None, reasons)
