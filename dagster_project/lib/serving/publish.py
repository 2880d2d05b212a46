"""Publishing the marts for BI tools (docs/contract.md, "Serving"), as pure functions over folders and files.

Layout under the serving folder (docs/bi.md explains it to BI users):

    sales.duckdb                       views marts.<table> (and serving.*) that BI tools open read-only
    snapshots/<key>_<UTC stamp>/       one folder per publish, never modified once it exists:
        marts/<table>.parquet          every table of the warehouse's `marts` schema
        serving/snapshot.parquet       one row: as_of, latest complete month, latest occurred_at / loaded_at, run id
        manifest.json                  the same, plus row counts and columns (the folder's marker:
                                       manifest.pending.json until the folder goes live)
    current -> snapshots/<newest>      for tools that read Parquet files themselves (pandas, the report)
    report/index.html                  the HTML report (report.py)

How a reader gets one run's data, never a mix, without a lock:

- A snapshot folder is written under `.staging/` and renamed into `snapshots/` in one step, so a
  folder in `snapshots/` is complete, and a path there never changes its content. (DuckDB 1.4 opens
  a Parquet file when it binds a query and again when it runs it; a path whose content changes in
  between, as `current/x.parquet` does when the link is switched, gives wrong rows or
  "TProtocolException: Invalid data". So the views never read through `current`.)
- Its name starts with a key that decreases with its publish instant P, chosen a margin in the
  future: the folder exists before P. Each view of sales.duckdb reads the snapshot with the largest
  P <= the start of the reader's transaction (DuckDB's `current_timestamp`). Every snapshot with
  P <= that start already existed when the query began, so every view of one query (and of one
  transaction) picks the same snapshot; a snapshot published meanwhile has P in the future for it.
  The publisher returns only after P: a query that starts after the run sees the new data, also on
  a connection that was open all along.
- A run's data goes live last: the folder is renamed into `snapshots/` with its manifest still named
  `manifest.pending.json` (no reader lists it), then `current` is pointed at it and the report is
  written from it (`before_live`), and only then is the manifest renamed, which makes the folder
  visible. A crash at any point leaves `current` and the report at the new snapshot or the previous
  one, never behind what sales.duckdb serves; the next publish removes the unfinished folder.
- Views select their file by its name (`filename = ...`), which DuckDB 1.4 uses to open only the
  chosen file (plus the newest one, for the schema): old snapshots can be deleted under readers.
- sales.duckdb only changes when the set of tables or their columns changes: a new file is built
  beside it and os.replace'd, so connected readers keep their file. No run ever writes to the file
  that readers have open.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_build import marker_fingerprint
from dagster_project.lib.ingestion.gate import active_holds
from dagster_project.lib.sql import has_table, quote_identifier, quote_literal

log = logging.getLogger(__name__)

SERVING_DB = "sales.duckdb"
SNAPSHOTS = "snapshots"
CURRENT = "current"
MANIFEST = "manifest.json"
PENDING_MANIFEST = "manifest.pending.json"  # a renamed folder that is not live yet
STAGING = ".staging"
TRASH = ".trash"
SNAPSHOT_INFO_TABLE = "snapshot"  # serving.snapshot: which snapshot a query sees, and its freshness

# Snapshot folders are named <KEY_MAX - P in microseconds, 16 digits>_<P as UTC>: sorted by name,
# the newest comes first, which is the file DuckDB opens to learn a view's columns.
KEY_MAX = 10**16 - 1
_NAME = re.compile(r"^(\d{16})_\d{8}T\d{12}Z$")

# Bump when the SQL of sales.duckdb changes, so that the next publish rebuilds the file.
SERVING_DB_LAYOUT = 2
DEFAULT_KEEP = 5
# How far ahead of the rename the publish instant is set. Only a stall of the publisher longer than
# this between the rename and the manifest's (`before_live` writes the report there: 0.15-0.2 s at
# ten million events), or a reader between binding and starting its query, could let a query see two
# runs; a stall is logged. It also delays the end of each run by as much, so it is kept at about
# twice what `before_live` takes.
DEFAULT_SWITCH_MARGIN_S = 0.4
_GLOB_CHARACTERS = set("*?[]{}")


@dataclass(frozen=True)
class Snapshot:
    path: Path
    published_us: int  # the publish instant P, microseconds since the epoch (UTC)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def published_at(self) -> datetime:
        return datetime.fromtimestamp(self.published_us / 1_000_000, UTC).replace(tzinfo=None)

    def table_path(self, table: str, schema: str = "marts") -> Path:
        return self.path / schema / f"{table}.parquet"


@dataclass(frozen=True)
class Freshness:
    as_of: datetime | None = None
    latest_complete_month: date | None = None
    latest_occurred_at: datetime | None = None
    latest_loaded_at: datetime | None = None
    held_loads: tuple[str, ...] = ()  # loads held out of these marts, each in a sentence


@dataclass(frozen=True)
class PublishResult:
    snapshot: Snapshot
    row_counts: dict[str, int]
    columns: dict[str, list[tuple[str, str]]]
    freshness: Freshness
    serving_db: Path
    serving_db_rebuilt: bool
    pruned: list[str] = field(default_factory=list)
    duckdb_version: str = duckdb.__version__
    late_switch: bool = False


# ---------------------------------------------------------------------------------------- naming


def snapshot_name(published_us: int) -> str:
    stamp = datetime.fromtimestamp(published_us / 1_000_000, UTC)
    return f"{KEY_MAX - published_us:016d}_{stamp:%Y%m%dT%H%M%S}{stamp.microsecond:06d}Z"


def _published_us(name: str) -> int | None:
    match = _NAME.match(name)
    return KEY_MAX - int(match.group(1)) if match else None


def list_snapshots(serving_dir: Path) -> list[Snapshot]:
    """The complete snapshots, newest first (also any whose publish instant is still ahead)."""
    folder = Path(serving_dir) / SNAPSHOTS
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        published_us = _published_us(entry.name)
        if published_us is not None and (entry / MANIFEST).is_file():
            found.append(Snapshot(entry, published_us))
    return sorted(found, key=lambda s: s.published_us, reverse=True)


def visible_snapshot(serving_dir: Path, at: datetime | None = None) -> Snapshot | None:
    """The snapshot that a query starting at `at` (default: now) reads through sales.duckdb."""
    at_us = _now_us() if at is None else int(at.replace(tzinfo=at.tzinfo or UTC).timestamp() * 1_000_000)
    return next((s for s in list_snapshots(serving_dir) if s.published_us <= at_us), None)


def read_manifest(snapshot: Snapshot) -> dict:
    """The snapshot's manifest, also while it is still pending (before_live reads it)."""
    path = snapshot.path / MANIFEST
    if not path.exists():
        path = snapshot.path / PENDING_MANIFEST
    return json.loads(path.read_text(encoding="utf-8"))


def _now_us() -> int:
    return time.time_ns() // 1000


# ------------------------------------------------------------------------------ the warehouse side


def list_tables(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> dict[str, list[tuple[str, str]]]:
    """Every table and view of a schema with its columns and types, from information_schema, so a
    new mart is published without any change here."""
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c"
        " join information_schema.tables t using (table_catalog, table_schema, table_name)"
        " where c.table_schema = ? and t.table_catalog = current_database()"
        " order by c.table_name, c.ordinal_position",
        [schema],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def read_freshness(con: duckdb.DuckDBPyConnection) -> Freshness:
    """as_of and the latest complete month (both decided by the dbt model int_as_of), the latest
    occurred_at and the latest load. Any part the warehouse does not have is None."""
    as_of = latest_complete_month = latest_occurred_at = latest_loaded_at = None
    if has_table(con, "intermediate", "int_as_of"):
        as_of, latest_complete_month, latest_occurred_at = con.execute(
            "select max(as_of), max(latest_complete_month), max(latest_occurred_at) from intermediate.int_as_of"
        ).fetchone()
    if has_table(con, "raw", "loaded_files"):
        latest_loaded_at = con.execute(
            "select max(loaded_at) from raw.loaded_files where status = 'loaded'"
        ).fetchone()[0]
    held = tuple(hold.line() for hold in active_holds(con))
    return Freshness(as_of, latest_complete_month, latest_occurred_at, latest_loaded_at, held)


def export_snapshot(
    warehouse: Path,
    folder: Path,
    schema: str = "marts",
) -> tuple[dict[str, int], dict[str, list[tuple[str, str]]], Freshness]:
    """Write every table of `schema` to folder/<schema>/<table>.parquet, from one read-only
    transaction on the warehouse (one consistent state of it)."""
    (folder / schema).mkdir(parents=True, exist_ok=True)
    row_counts: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = list_tables(con, schema)
        if not tables:
            raise ValueError(
                f"The warehouse {warehouse} has no tables in schema {schema!r}: nothing to publish."
            )
        con.execute("begin transaction")
        for table in tables:
            _check_name(table)
            target = folder / schema / f"{table}.parquet"
            row_counts[table] = con.execute(
                f"copy (select * from {quote_identifier(schema)}.{quote_identifier(table)})"
                f" to {quote_literal(str(target))} (format parquet, compression zstd)"
            ).fetchone()[0]
        freshness = read_freshness(con)
        con.execute("commit")
    return row_counts, tables, freshness


def _complete_build(warehouse: Path) -> str | None:
    """Which complete dbt build the marts are (lib/dbt_build.py), so that the next run can tell
    whether that build was published; the pool serializes runs, so it is the build just exported."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return marker_fingerprint(con)


def published_build(serving_dir: Path) -> str | None:
    """The complete dbt build that the views serve now, if the snapshot says."""
    snapshot = visible_snapshot(serving_dir)
    return read_manifest(snapshot).get("build_fingerprint") if snapshot else None


# ------------------------------------------------------------------------------ the switch


def _check_name(name: str) -> None:
    if _GLOB_CHARACTERS & set(name) or "/" in name:
        raise ValueError(f"{name!r}: a published table's name must not contain glob characters or slashes")


@contextmanager
def _publish_lock(serving_dir: Path) -> Iterator[None]:
    """One publisher at a time (Dagster's pool already serializes runs; this covers scripts too)."""
    with open(serving_dir / ".publish.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def _write_snapshot_info(folder: Path, info: dict) -> None:
    """serving/snapshot.parquet: one row about the run, readable from SQL (serving.snapshot adds the
    snapshot's name and publish instant, which are its folder's name)."""
    (folder / "serving").mkdir(exist_ok=True)
    with duckdb.connect() as con:
        con.execute(
            "copy (select ?::timestamp as as_of, ?::date as latest_complete_month,"
            " ?::timestamp as latest_occurred_at, ?::timestamp as latest_loaded_at, ?::varchar as run_id,"
            " ?::varchar as duckdb_version)"
            f" to {quote_literal(str(folder / 'serving' / f'{SNAPSHOT_INFO_TABLE}.parquet'))} (format parquet)",
            [info["as_of"], info["latest_complete_month"], info["latest_occurred_at"], info["latest_loaded_at"],
             info["run_id"], info["duckdb_version"]],
        )  # fmt: skip


def _switch(
    serving_dir: Path, staged: Path, margin_s: float, before_live: Callable[[Snapshot], None]
) -> tuple[Snapshot, bool]:
    """Make the complete staged folder a snapshot that queries starting at or after its publish
    instant P read. P is chosen a margin ahead, the folder is renamed (not live yet: its manifest is
    pending), `before_live` points `current` and writes the report, and the manifest's rename makes it
    live: all of it before P, unless `before_live` takes longer than the margin (then it is late)."""
    newest = list_snapshots(serving_dir)
    floor = newest[0].published_us + 1 if newest else 0  # strictly after the last one
    if floor - _now_us() > 60_000_000:
        raise RuntimeError(
            f"The newest snapshot {newest[0].name} is more than a minute in the future: the system clock "
            "went back. Fix the clock (or delete that snapshot) and publish again."
        )
    published_us = max(_now_us() + int(margin_s * 1_000_000), floor)
    target = serving_dir / SNAPSHOTS / snapshot_name(published_us)
    os.rename(staged, target)  # atomic: the folder appears whole, but no reader lists it yet
    snapshot = Snapshot(target, published_us)
    before_live(snapshot)
    os.rename(target / PENDING_MANIFEST, target / MANIFEST)  # live: sales.duckdb's views see it at P
    late = _now_us() >= published_us
    if late:  # stalled longer than the margin: queries starting right at P might have mixed two runs
        log.warning("Snapshot %s appeared after its publish instant: raise the switch margin.", target.name)
    while (wait_us := published_us - _now_us()) >= 0:  # return once new queries see it
        time.sleep(wait_us / 1_000_000 + 0.0005)
    return snapshot, late


def _point_current(serving_dir: Path, snapshot: Snapshot) -> None:
    """current -> snapshots/<name>, replaced in one step (a relative link: the folder may move)."""
    temporary = serving_dir / f".{CURRENT}.{uuid.uuid4().hex}"
    os.symlink(Path(SNAPSHOTS) / snapshot.name, temporary)
    os.replace(temporary, serving_dir / CURRENT)


def publish_marts(
    warehouse: Path,
    serving_dir: Path,
    *,
    schema: str = "marts",
    run_id: str | None = None,
    keep: int = DEFAULT_KEEP,
    switch_margin_s: float = DEFAULT_SWITCH_MARGIN_S,
    before_live: Callable[[Snapshot], None] | None = None,
) -> PublishResult:
    """Publish every table of the warehouse's `schema` as a new snapshot, switch readers to it, keep
    the newest `keep` snapshots, and (re)build sales.duckdb if the tables or their columns changed.
    `before_live(snapshot)` runs once `current` points at the new snapshot and before the views see
    it (the report is written there, so it never lags the data that BI tools read)."""
    if keep < 2:
        raise ValueError("keep at least 2 snapshots: queries running at the switch read the previous one")
    serving_dir = Path(serving_dir).absolute()
    if _GLOB_CHARACTERS & set(str(serving_dir)):
        raise ValueError(
            f"{serving_dir}: the serving folder's path must not contain any of {''.join(sorted(_GLOB_CHARACTERS))}"
        )
    for sub in (SNAPSHOTS, STAGING, TRASH):
        (serving_dir / sub).mkdir(parents=True, exist_ok=True)

    with _publish_lock(serving_dir):
        staged = serving_dir / STAGING / uuid.uuid4().hex
        try:
            row_counts, tables, freshness = export_snapshot(Path(warehouse), staged, schema)
            info = {
                "run_id": run_id,
                "schema": schema,
                "warehouse": str(warehouse),
                "as_of": freshness.as_of,
                "latest_complete_month": freshness.latest_complete_month,
                "latest_occurred_at": freshness.latest_occurred_at,
                "latest_loaded_at": freshness.latest_loaded_at,
                "build_fingerprint": _complete_build(Path(warehouse)),
                "held_loads": list(freshness.held_loads),
                "duckdb_version": duckdb.__version__,
                "row_counts": row_counts,
                "columns": {table: dict(columns) for table, columns in tables.items()},
            }
            _write_snapshot_info(staged, info)
            _write_json(staged / PENDING_MANIFEST, info)  # written last: the folder is complete

            def prepare(snapshot: Snapshot) -> None:
                _point_current(serving_dir, snapshot)
                if before_live is not None:
                    before_live(snapshot)

            snapshot, late = _switch(serving_dir, staged, switch_margin_s, prepare)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        rebuilt = ensure_serving_db(serving_dir, tables, schema)
        pruned = prune_snapshots(serving_dir, keep)
        _remove_leftovers(serving_dir)

    return PublishResult(
        snapshot=snapshot,
        row_counts=row_counts,
        columns=tables,
        freshness=freshness,
        serving_db=serving_dir / SERVING_DB,
        serving_db_rebuilt=rebuilt,
        pruned=pruned,
        late_switch=late,
    )


# ------------------------------------------------------------------------------ sales.duckdb


def _snapshot_dir_macro(serving_dir: Path) -> str:
    """serving.snapshot_dir(): the folder of the newest snapshot published at or before the start of
    the current transaction. Globbing only lists names: it opens no file."""
    pattern = quote_literal(f"{serving_dir}/{SNAPSHOTS}/*/{MANIFEST}")
    return f"""create macro serving.snapshot_dir() as (
    select regexp_replace(min(file), '/{MANIFEST.replace(".", "[.]")}$', '')
    from glob({pattern})
    where regexp_extract(file, '/([0-9]{{16}})_[0-9T]+Z/{MANIFEST.replace(".", "[.]")}$', 1)
        >= lpad(cast({KEY_MAX} - epoch_us(current_timestamp) as varchar), 16, '0')
)"""


def _view_sql(
    serving_dir: Path, schema: str, table: str, columns: list[tuple[str, str]], castable: set[str]
) -> str:
    if any(column == "filename" for column, _ in columns):
        raise ValueError(f"{schema}.{table} has a column named 'filename', which the serving views reserve")
    select = ",\n    ".join(
        f"cast({quote_identifier(c)} as {t}) as {quote_identifier(c)}"
        if t in castable
        else quote_identifier(c)
        for c, t in columns
    )
    pattern = quote_literal(f"{serving_dir}/{SNAPSHOTS}/*/{schema}/{table}.parquet")
    suffix = quote_literal(f"/{schema}/{table}.parquet")
    return (
        f"create view {quote_identifier(schema)}.{quote_identifier(table)} as\nselect\n    {select}\n"
        f"from read_parquet({pattern}, filename = true)\n"
        f"where filename = serving.snapshot_dir() || {suffix}"
    )


def _snapshot_view_sql(serving_dir: Path) -> str:
    """serving.snapshot: the snapshot this query reads, when it was published, and its freshness."""
    pattern = quote_literal(f"{serving_dir}/{SNAPSHOTS}/*/serving/{SNAPSHOT_INFO_TABLE}.parquet")
    suffix = quote_literal(f"/serving/{SNAPSHOT_INFO_TABLE}.parquet")
    return f"""create view serving.{SNAPSHOT_INFO_TABLE} as
select
    regexp_extract(filename, '/([0-9]{{16}}_[0-9T]+Z)/serving/', 1) as snapshot,
    make_timestamp({KEY_MAX} - cast(regexp_extract(filename, '/([0-9]{{16}})_[0-9T]+Z/serving/', 1) as bigint))
        as published_at,
    as_of, latest_complete_month, latest_occurred_at, latest_loaded_at, run_id, duckdb_version
from read_parquet({pattern}, filename = true)
where filename = serving.snapshot_dir() || {suffix}"""


def _fingerprint(serving_dir: Path, schema: str, tables: dict[str, list[tuple[str, str]]]) -> str:
    payload = json.dumps(
        [SERVING_DB_LAYOUT, str(serving_dir), schema, duckdb.__version__, sorted(tables.items())]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _stored_fingerprint(db: Path) -> str | None:
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("select value from serving.build_info where key = 'fingerprint'").fetchone()[0]
    except (duckdb.Error, TypeError):
        return None


def build_serving_db(
    path: Path, serving_dir: Path, tables: dict[str, list[tuple[str, str]]], schema: str = "marts"
) -> None:
    """A DuckDB file of views: <schema>.<table> over the visible snapshot, serving.snapshot (which
    snapshot a query sees) and serving.build_info."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists serving")
        con.execute(f"create schema if not exists {quote_identifier(schema)}")
        con.execute(_snapshot_dir_macro(serving_dir))
        types = {t for columns in tables.values() for _, t in columns}
        castable = set()
        for data_type in types:  # a type this file cannot name (a user-defined enum) stays as read
            try:
                con.execute(f"select cast(null as {data_type})")
                castable.add(data_type)
            except duckdb.Error:
                pass
        for table, columns in sorted(tables.items()):
            con.execute(_view_sql(serving_dir, schema, table, columns, castable))
        con.execute(_snapshot_view_sql(serving_dir))
        con.execute("create table serving.build_info (key varchar primary key, value varchar)")
        con.executemany(
            "insert into serving.build_info values (?, ?)",
            [("fingerprint", _fingerprint(serving_dir, schema, tables)), ("duckdb_version", duckdb.__version__),
             ("serving_dir", str(serving_dir)), ("built_at", datetime.now(UTC).isoformat(timespec="seconds"))],
        )  # fmt: skip
        con.execute("checkpoint")


def ensure_serving_db(
    serving_dir: Path, tables: dict[str, list[tuple[str, str]]], schema: str = "marts"
) -> bool:
    """Rebuild sales.duckdb only if the tables, their columns, the folder, DuckDB or the layout of the
    file changed: build the new file beside it and os.replace it (readers that have the old one open
    keep it)."""
    serving_dir = Path(serving_dir).absolute()
    db = serving_dir / SERVING_DB
    if db.exists() and _stored_fingerprint(db) == _fingerprint(serving_dir, schema, tables):
        return False
    temporary = serving_dir / f".{SERVING_DB}.{uuid.uuid4().hex}"
    try:
        build_serving_db(temporary, serving_dir, tables, schema)
        os.replace(temporary, db)
    finally:
        for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return True


# ------------------------------------------------------------------------------ retention


def prune_snapshots(serving_dir: Path, keep: int = DEFAULT_KEEP) -> list[str]:
    """Delete all but the newest `keep` snapshots. Each is moved out of snapshots/ first, so a
    half-deleted folder is never listed."""
    serving_dir = Path(serving_dir)
    (serving_dir / TRASH).mkdir(exist_ok=True)
    pruned = []
    for snapshot in list_snapshots(serving_dir)[keep:]:
        doomed = serving_dir / TRASH / snapshot.name
        os.rename(snapshot.path, doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        pruned.append(snapshot.name)
    return pruned


def _remove_leftovers(serving_dir: Path) -> None:
    """Staged and trashed folders of interrupted publishes, and snapshot folders that never went live
    (a crash before their manifest's rename); called under the publish lock, after a publish."""
    for entry in (serving_dir / SNAPSHOTS).iterdir():
        if _published_us(entry.name) is not None and not (entry / MANIFEST).exists():
            os.rename(entry, serving_dir / TRASH / entry.name)
    for folder in (serving_dir / STAGING, serving_dir / TRASH):
        for leftover in folder.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
