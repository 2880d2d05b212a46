"""The raw gate: a run whose load has too many rejected rows does not rebuild staging or the marts.

The reject share of a run's load is computed here only: the gate reads it, and the Great
Expectations check `gx_raw_reject_share` (data_quality/aggregates/raw.py) validates the same figure,
with severity ERROR (and is alerted). The run itself still succeeds, because a run over data with
malformed rows succeeds and loses nothing (docs/contract.md): the good rows are in raw, and the next
healthy run builds the marts from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class LoadFigures:
    """The files a run loaded (status `loaded`), their rows read and rejected."""

    files: int
    rows_read: int
    rows_rejected: int

    @property
    def reject_share(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0


def load_figures(con: duckdb.DuckDBPyConnection, run_id: str) -> LoadFigures:
    files, read, rejected = con.execute(
        "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0)"
        " from raw.loaded_files where run_id = ? and status = 'loaded'",
        [run_id],
    ).fetchone()
    return LoadFigures(int(files), int(read), int(rejected))


def held_load_reason(warehouse: Path, run_id: str, max_reject_share: float) -> str | None:
    """Why this run's load must not reach the marts, or None when it may."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        load = load_figures(con, run_id)
    if load.rows_read == 0 or load.reject_share <= max_reject_share:
        return None
    return (
        f"This run's load rejected {load.rows_rejected:,} of {load.rows_read:,} rows ({load.reject_share:.1%}), "
        f"over the limit of {max_reject_share:.1%} (SALES_MAX_REJECT_SHARE): staging and the marts are not "
        "rebuilt in this run. See raw.rejected_events and the check gx_raw_reject_share."
    )
