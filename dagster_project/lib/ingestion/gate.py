"""The raw gate: a load with too many rejected rows is held out of staging until it is resolved.

The reject share of a run's load is computed here only: the ingestion asset holds the run's loads
when it is over the limit, and the Great Expectations check `gx_raw_reject_share`
(data_quality/aggregates/raw.py) validates the same figure with severity ERROR (the one alert of the
hold). The run itself succeeds (docs/contract.md, "Bad input"): the marts are rebuilt from every
load that is not held.

A hold lasts until it is resolved: a later load of the same file that is not held supersedes it (the
corrected file's rows count, the held ones never do), or someone releases it on purpose
(`python -m dagster_project.holds release LOAD_ID`, or the job `release_held_load`), after which its
rows reach staging in the next run. Staging reads `raw.held_load_ids`; every run says which holds are
active (summary, run metadata, report banner, Data Docs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.lib.sql import has_table


@dataclass(frozen=True)
class LoadFigures:
    """The files a run loaded (status `loaded`), their rows read and rejected."""

    files: int
    rows_read: int
    rows_rejected: int

    @property
    def reject_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


@dataclass(frozen=True)
class Hold:
    load_id: int
    source_file: str
    reason: str
    held_at: datetime

    def line(self) -> str:
        return (
            f"load {self.load_id} ({self.source_file}) is held out of the marts since {self.held_at:%Y-%m-%d %H:%M} "
            f"UTC: {self.reason} Deliver a corrected file under the same name, or release it: "
            f"python -m dagster_project.holds release {self.load_id}"
        )


def load_figures(con: duckdb.DuckDBPyConnection, run_id: str) -> LoadFigures:
    files, read, rejected = con.execute(
        "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0)"
        " from raw.loaded_files where run_id = ? and status = 'loaded'",
        [run_id],
    ).fetchone()
    return LoadFigures(int(files), int(read), int(rejected))


def hold_reason(load: LoadFigures, max_reject_share: float) -> str | None:
    if load.rows_read == 0 or load.reject_share <= max_reject_share:
        return None
    return (
        f"its run's load rejected {load.rows_rejected:,} of {load.rows_read:,} rows ({load.reject_share:.1%}), "
        f"over the limit of {max_reject_share:.1%} (SALES_MAX_REJECT_SHARE); see raw.rejected_events."
    )


def hold_if_over_limit(con: duckdb.DuckDBPyConnection, run_id: str, max_reject_share: float) -> list[Hold]:
    """Hold every load of this run when their rejected share is over the limit; return the new holds."""
    reason = hold_reason(load_figures(con, run_id), max_reject_share)
    if reason is None:
        return []
    con.execute(
        """
        insert into raw.load_holds (load_id, source_file, reason, run_id, held_at)
        select load_id, source_file, ?, run_id, now()::timestamp from raw.loaded_files
        where run_id = ? and status = 'loaded' and load_id not in (select load_id from raw.load_holds)
        """,
        [reason, run_id],
    )
    return [h for h in active_holds(con) if h.reason == reason]


def active_holds(con: duckdb.DuckDBPyConnection) -> list[Hold]:
    """Holds neither released nor superseded by a later load of the same file that is not held."""
    if not has_table(con, "raw", "load_holds"):
        return []
    rows = con.execute(
        """
        select h.load_id, h.source_file, h.reason, h.held_at
        from raw.load_holds h
        where h.released_at is null
          and not exists (
              select 1 from raw.loaded_files later
              where later.source_file = h.source_file and later.load_id > h.load_id
                and later.status = 'loaded'
                and later.load_id not in (select load_id from raw.held_load_ids)
          )
        order by h.load_id
        """
    ).fetchall()
    return [Hold(*row) for row in rows]


def apply_gate(warehouse: Path, run_id: str, max_reject_share: float) -> tuple[list[Hold], list[Hold]]:
    """After a run's load: hold it if it is over the limit. Returns (the new holds, all active holds)."""
    with duckdb.connect(str(warehouse)) as con:
        new = hold_if_over_limit(con, run_id, max_reject_share)
        return new, active_holds(con)


def read_active_holds(warehouse: Path) -> list[Hold]:
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return active_holds(con)


def files_read_by_run(warehouse: Path, run_id: str) -> int:
    """How many files a run's load read (loaded or failed): 0 when it found nothing new."""
    if not warehouse.exists():
        return 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_table(con, "raw", "loaded_files"):
            return 0
        return con.execute("select count(*) from raw.loaded_files where run_id = ?", [run_id]).fetchone()[0]


def release(warehouse: Path, load_id: int, note: str) -> Hold:
    """Let a held load's rows into staging from the next run on; the note says who and why."""
    with duckdb.connect(str(warehouse)) as con:
        held = {h.load_id: h for h in active_holds(con)}
        if load_id not in held:
            known = ", ".join(str(i) for i in held) or "none"
            raise ValueError(f"Load {load_id} is not held (active holds: {known}).")
        con.execute(
            "update raw.load_holds set released_at = now()::timestamp, release_note = ? where load_id = ?",
            [note, load_id],
        )
    return held[load_id]
