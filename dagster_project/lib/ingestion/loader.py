"""Load landing files into the raw layer (docs/contract.md, "Bad input"), inside DuckDB.

Each file is read as text, validated and typed in one SQL pass, and written in one transaction
together with its ledger row, so a file is either wholly loaded (rows_read = accepted + rejected)
or recorded as failed. A file is identified by the sha256 of its content: the same content is
never loaded twice, a changed file is loaded again. Paths and values reach SQL only as bound
parameters or quoted identifiers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.settings import DuckDBConfig, Settings
from dagster_project.lib.vocabulary import CANONICAL_COLUMNS, REQUIRED_COLUMNS

from . import lake
from .landing import FORMATS, file_hash, file_state, scan_landing, settled_files
from .plausible_time import TimeBounds, set_time_bounds
from .raw_schema import ensure_raw_schema
from .retry import failure_is_transient, settled_hashes
from .validation import Source, jsonl_source, tabular_source, validation_sql

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileResult:
    source_file: str
    status: str  # loaded | failed | skipped (same content already in the ledger, or `error` says why)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    error: str | None = None


# --- reading a file: a `Source` for the validation pass (lib/ingestion/validation.py) --------------


def _read_jsonl(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """The temp table `file_rows`: one row per non-blank line, its position, whether it parsed, the
    line, and the canonical keys as text."""
    # Read lines verbatim (no quoting, an unlikely delimiter) so a broken line is one rejected row.
    con.execute(
        """
        create or replace temp table file_lines as
        select line
        from read_csv(?, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01', quote = '',
                      escape = '', auto_detect = false, max_line_size = 16777216,
                      store_rejects = true, rejects_table = 'structural_rejects',
                      rejects_scan = 'structural_scans')
        """,
        [str(path)],
    )
    # A temp table keeps insertion order, so rowid + 1 is the line number.
    con.execute(
        "create or replace temp table file_lines as select line, rowid + 1 as row_number from file_lines"
    )
    # One JSON parse per line: extract all canonical keys at once, then name them.
    paths = ", ".join(f"'$.{c}'" for c in CANONICAL_COLUMNS)
    fields = ",\n".join(f"fields[{i}] as {c}" for i, c in enumerate(CANONICAL_COLUMNS, 1))
    con.execute(
        f"""
        create or replace temp table file_rows as
        with checked as (
            select row_number, line,
                   coalesce(json_valid(line), false)
                       and json_type(case when json_valid(line) then line end) = 'OBJECT' as is_object
            from file_lines
            where nullif(trim(line), '') is not null   -- blank lines are not records
        ),
        extracted as (
            select *, case when is_object then json_extract_string(line, [{paths}]) end as fields
            from checked
        )
        select row_number,
               case when not json_valid(line) then 'line is not valid JSON'
                    when not is_object then 'line is not a JSON object' end as parse_error,
               line,
               {fields}
        from extracted
        """
    )
    return jsonl_source("file_rows f")


def _header(con: duckdb.DuckDBPyConnection, relation: str, params: list) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe select * from {relation}", params).fetchall()]


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Read in place, each column in its own type; the reader numbers the rows."""
    header = _header(con, "read_parquet(?)", [str(path)])
    if "file_row_number" in {name.lower() for name, _ in header}:
        # The reader cannot number the rows of a file with a column of that name: copy it first (a
        # temp table keeps insertion order, so rowid + 1 is the row's position).
        con.execute("create or replace temp table file_table as select * from read_parquet(?)", [str(path)])
        return tabular_source("file_table f", "f.rowid + 1", header)
    return tabular_source(
        "read_parquet(?, file_row_number = true) f", "f.file_row_number + 1", header, [str(path)]
    )


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    """Canonical CSV: comma, double quotes, a header row; every cell as text, empty = null. Lines the
    reader cannot split into the header's columns go to `structural_rejects`."""
    con.execute(
        """
        create or replace temp table file_table as
        select * from read_csv(?, header = true, delim = ',', quote = '"', escape = '"',
                               all_varchar = true, store_rejects = true,
                               rejects_table = 'structural_rejects', rejects_scan = 'structural_scans')
        """,
        [str(path)],
    )
    _number_csv_lines(con)
    return tabular_source(
        "file_table f left join csv_lines on csv_lines.k = f.rowid + 1",
        "coalesce(csv_lines.line, f.rowid + 2)",
        _header(con, "file_table", []),
    )


def _number_csv_lines(con: duckdb.DuckDBPyConnection) -> None:
    """`csv_lines`: the line number of the k-th parsed CSV record, skipping the lines DuckDB rejected
    as malformed (empty when it rejected none: record k is line k + 1, the header being line 1).

    Exact while no quoted value spans lines (the usual CRM export).
    """
    con.execute(
        """
        create or replace temp table csv_lines as
        with rejected_lines as (select distinct line from structural_rejects),
        free_lines as (
            select l.range as line, row_number() over (order by l.range) as k
            from range(2, 2 + (select count(*) from file_table)
                             + (select count(*) from rejected_lines)) l
            where l.range not in (select line from rejected_lines)
        )
        select k, line from free_lines where exists (select 1 from rejected_lines)
        """
    )


def _add_structural_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Lines the CSV reader itself could not split into the header's columns (for JSON Lines, a line
    holding the reader's delimiter \\x01) become rejected rows."""
    con.execute(
        """
        insert into validated (row_number, reason, raw_record)
        select line,
               'malformed line (' || lower(replace(min(error_type), '_', ' ')) || '): '
                   || min(error_message),
               min(csv_line)
        from structural_rejects
        group by line  -- DuckDB reports one error per missing column; one line is one row
        """
    )


def _insert_results(con: duckdb.DuckDBPyConnection, source_file: str, load_id: int) -> tuple[int, int]:
    # Every raw row carries its position (row_number), so the table's physical order means nothing:
    # an insert free to write in any order takes a third less time (10M rows: 3.5 s). Reset after it,
    # since a temp table's rowid numbers the lines of the next file (_read_jsonl).
    con.execute("set preserve_insertion_order = false")
    try:
        accepted = con.execute(
            """
            insert into raw.sales_events
            select event_id, event_type, occurred_at_ts, contact_id, rep_id, lead_source, direction,
                   purpose, outcome, offer_id, amount_num, referred_contact_id, is_valid_bool,
                   updated_at_ts, raw_record, ?, row_number, ?, now()::timestamp
            from validated where reason = ''
            """,
            [source_file, load_id],
        ).fetchone()[0]
    finally:
        con.execute("reset preserve_insertion_order")
    rejected = con.execute(
        """
        insert into raw.rejected_events
        select ?, row_number, raw_record, reason, ?, now()::timestamp
        from validated where reason <> '' order by row_number
        """,
        [source_file, load_id],
    ).fetchone()[0]
    return accepted, rejected


def _record_file(
    con, load_id, source_file, digest, fmt, size, read, accepted, rejected, status, error, run_id
):
    con.execute(
        "insert into raw.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [load_id, source_file, digest, fmt, size, read, accepted, rejected, status, error, run_id],
    )


READERS = {"jsonl": _read_jsonl, "csv": _read_csv, "parquet": _read_parquet}


def _read_file(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> list[str]:
    """Validate a file into the temp table `validated` (one row per record read, with its reason);
    return the file's columns (the keys of a JSON Lines file)."""
    # DuckDB's CSV reader creates these itself (store_rejects); the other readers leave them empty.
    con.execute("drop table if exists structural_rejects")
    con.execute("drop table if exists structural_scans")
    if path.stat().st_size == 0:
        # An empty file holds no rows; DuckDB's readers refuse it, but it is not an error.
        source, found = tabular_source("(select 1 limit 0) f", "cast(null as bigint)", []), []
    else:
        source = READERS[fmt](con, path)
        found = _columns_found(con, fmt, source)
        _check_columns(found, fmt)
    con.execute(validation_sql(source), source.params)
    if fmt != "parquet" and path.stat().st_size > 0:
        _add_structural_rejects(con)  # lines DuckDB's CSV reader (JSON Lines too) could not split
    return found


class WrongColumnsError(ValueError):
    """A file whose header lacks a column every event needs (or JSON Lines with none of them): every
    row would be rejected for the same reason, so the file fails as a whole, saying which columns it
    has and which it lacks."""


def _columns_found(con: duckdb.DuckDBPyConnection, fmt: str, source: Source) -> list[str]:
    """The file's column names: the header of a CSV or Parquet file, the keys of a JSON Lines file."""
    if fmt != "jsonl":
        return source.names
    return [
        row[0]
        for row in con.execute(
            "select distinct unnest(json_keys(line)) from file_lines"
            " where json_valid(line) and json_type(line) = 'OBJECT' order by 1"
        ).fetchall()
    ]


def _check_columns(found: list[str], fmt: str) -> None:
    present = {name.lower() for name in found}
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    # A JSON Lines record's absent key is a null (its row is rejected with that reason): the file fails
    # only when no record has any required key. A CSV or Parquet header lacking one fails the file.
    if not missing or (fmt == "jsonl" and (not found or len(missing) < len(REQUIRED_COLUMNS))):
        return
    header = ", ".join(found[:20]) + (f", ... ({len(found)} in all)" if len(found) > 20 else "")
    what = (
        f"none of the required columns ({', '.join(REQUIRED_COLUMNS)})"
        if len(missing) == len(REQUIRED_COLUMNS)
        else f"the required column(s) {', '.join(missing)}"
    )
    raise WrongColumnsError(
        f"The file lacks {what}; its columns are: {header}. Every event needs {', '.join(REQUIRED_COLUMNS)} "
        '(docs/contract.md, "Input"). A CRM export? The HubSpot and Salesforce source adapters map '
        "them (docs/sources.md)."
    )


def _rollback_if_open(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("rollback")
    except duckdb.TransactionException:
        pass  # the error came before the transaction began


def _next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """The sequence's next value, or past the ledger's largest id when the sequence is behind: after a
    `kill -9`, DuckDB replays a committed load (its rows and ledger row) from its write-ahead log but
    may lose the sequence's advance, and the next load would reuse that load's id."""
    sequence = con.execute("select nextval('raw.load_id_seq')").fetchone()[0]
    largest = con.execute("select coalesce(max(load_id), 0) from raw.loaded_files").fetchone()[0]
    return sequence if sequence > largest else largest + 1


def load_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_file: str,
    digest: str,
    run_id: str | None,
    unchanged: Callable[[], bool] | None = None,
) -> FileResult:
    """Load one file in one transaction; on any error roll back and record it as failed. If
    `unchanged()` says the file was written to while it was read, nothing is kept or recorded."""
    fmt = FORMATS[path.suffix.lower()]
    size = path.stat().st_size
    load_id = _next_load_id(con)
    try:
        # Reading fills temp tables only; it runs before the transaction so that rowid (the record's
        # position) is the plain insertion order rather than a transaction-local id.
        _read_file(con, path, fmt)
        con.execute("begin transaction")
        read = con.execute("select count(*) from validated").fetchone()[0]
        accepted, rejected = _insert_results(con, source_file, load_id)
        if unchanged is not None and not unchanged():
            con.execute("rollback")
            return FileResult(source_file, "skipped", error=CHANGED_WHILE_READ)
        _record_file(
            con, load_id, source_file, digest, fmt, size, read, accepted, rejected, "loaded", None, run_id
        )
        con.execute("commit")
        return FileResult(source_file, "loaded", read, accepted, rejected)
    except (duckdb.Error, WrongColumnsError) as exc:
        _rollback_if_open(con)
        if unchanged is not None and not unchanged():
            return FileResult(source_file, "skipped", error=CHANGED_WHILE_READ)  # half a file, no verdict
        _drop_file_tables(con)  # frees the memory of the reading: the error may have been running out of it
        error = str(exc) if isinstance(exc, WrongColumnsError) else f"{type(exc).__name__}: {exc}".strip()
        _record_file(con, load_id, source_file, digest, fmt, size, 0, 0, 0, "failed", error, run_id)
        return FileResult(source_file, "failed", error=error)


CHANGED_WHILE_READ = "written to while it was being read: nothing kept, loaded once it has settled"


def _drop_file_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in ("file_lines", "file_table", "file_rows", "csv_lines", "validated"):
        con.execute(f"drop table if exists {table}")


def _load_if_new(con, path, source_file, state, known, run_id) -> FileResult:
    try:
        digest = file_hash(path)
    except OSError as error:  # unreadable now (permissions, gone): no verdict on its content
        return FileResult(source_file, "failed", error=f"{type(error).__name__}: {error}")
    if digest in known:
        return FileResult(source_file, "skipped")

    def unchanged() -> bool:
        try:
            return file_state(path) == state
        except OSError:
            return False

    result = load_file(con, path, source_file, digest, run_id, unchanged)
    if result.status == "loaded" or (result.status == "failed" and not failure_is_transient(result.error)):
        known.add(digest)
    return result


def load_landing_dir(
    landing_dir: Path,
    warehouse: Path,
    run_id: str | None = None,
    on_file: Callable[[int, int, FileResult], None] | None = None,
    time_bounds: TimeBounds | None = None,
    settle_seconds: float = 0.0,
    lake_dir: Path | None = None,
    duckdb_config: DuckDBConfig | None = None,
) -> list[FileResult]:
    """Load every new file below `landing_dir` into the warehouse; return one result per file seen.
    Times outside `time_bounds` (default: the contract's, from now) are rejected with a reason. Files
    changed within `settle_seconds`, or while being read, and links out of the folder are `skipped`
    with the reason in `error` (lib/ingestion/landing.py). With a `lake_dir` (the Spark targets),
    the lake is checked before loading and every load it lacks is written to it after."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    files, refused = scan_landing(landing_dir)
    states, unsettled = settled_files(files, settle_seconds)
    total = len(files) + len(refused)
    results: list[FileResult] = []
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        # Bounded memory whatever the file size: DuckDB spills to its temp folder beyond this.
        (duckdb_config or DuckDBConfig.beside(warehouse)).apply(con)
        set_time_bounds(con, time_bounds or TimeBounds.for_load())
        ensure_raw_schema(con)
        if lake_dir is not None:
            lake.check_lake(con, lake_dir)
        known = settled_hashes(con)
        for index, path in enumerate(files, start=1):
            source_file = path.relative_to(landing_dir).as_posix()
            if path in unsettled:
                result = FileResult(source_file, "skipped", error=unsettled[path])
            else:
                result = _load_if_new(con, path, source_file, states[path], known, run_id)
            results.append(result)
            if on_file:
                on_file(index, total, result)
        if lake_dir is not None:
            lake.sync_lake(con, lake_dir)
    for index, entry in enumerate(refused, start=len(files) + 1):
        results.append(FileResult(entry.source_file, "skipped", error=entry.reason))
        if on_file:
            on_file(index, total, results[-1])
    return results


def summarize(results: list[FileResult]) -> dict[str, int]:
    """Files and rows of one ingestion, for its log line and metadata (skipped files read nothing)."""
    loaded = [r for r in results if r.status == "loaded"]
    return {
        "files_seen": len(results),
        "files_loaded": len(loaded),
        "files_skipped": sum(r.status == "skipped" and not r.error for r in results),  # already loaded
        "files_not_read": sum(r.status == "skipped" and bool(r.error) for r in results),  # see r.error
        "files_failed": sum(r.status == "failed" for r in results),
        "rows_read": sum(r.rows_read for r in loaded),
        "rows_accepted": sum(r.rows_accepted for r in loaded),
        "rows_rejected": sum(r.rows_rejected for r in loaded),
    }


def load_options(settings: Settings) -> dict:
    """The settings of a run that shape its load: the plausible time range, from the load's start."""
    return {
        "time_bounds": TimeBounds.for_load(settings.earliest_event_time, settings.future_tolerance),
        "settle_seconds": settings.landing_settle_seconds,
        "duckdb_config": settings.duckdb,
    }
