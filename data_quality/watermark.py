"""What a passing reconciliation keeps for the next one: the load it reconciled through, and totals.

A reconciliation that passed proves its layer whole at that moment; the next one then needs to look
only at what changed since (data_quality/aggregates/staging.py says why that is sound, and verifies it
with these totals). The watermark lives in the warehouse beside the data it describes
(`pipeline.reconciled_through`, one row per check), so a copied, restored or rebuilt warehouse carries
its own, never one that belongs to another file. It is written only after a check passed, by the
check's own step (in the warehouse pool: the only writer of the file at that moment); failing to write
it is logged, never a failed check: the next run then checks against the older watermark, or in full.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.sql import has_table

log = logging.getLogger(__name__)

TABLE = "pipeline.reconciled_through"
_DDL = f"""
create schema if not exists pipeline;
create table if not exists {TABLE} (
    check_name varchar primary key, load_id bigint not null, state varchar not null,
    run_id varchar, reconciled_at timestamp not null
)"""


@dataclass(frozen=True)
class Watermark:
    """A check passed with every load up to `load_id` reconciled; `state` holds its totals then."""

    load_id: int
    state: dict

    def same_engine(self) -> bool:
        """The totals are sums of DuckDB's hash(), which a DuckDB release may change: totals kept by
        another version cannot be compared (the check then runs in full and keeps new ones)."""
        return self.state.get("duckdb") == duckdb.__version__


def read_watermark(con: duckdb.DuckDBPyConnection, check_name: str) -> Watermark | None:
    if not has_table(con, "pipeline", "reconciled_through"):
        return None
    row = con.execute(f"select load_id, state from {TABLE} where check_name = ?", [check_name]).fetchone()
    return Watermark(row[0], json.loads(row[1])) if row else None


def write_watermark(warehouse: Path, check_name: str, mark: Watermark, run_id: str | None) -> None:
    try:
        with duckdb.connect(str(warehouse)) as con:
            con.execute(_DDL)
            con.execute(
                f"insert or replace into {TABLE} values (?, ?, ?, ?, now()::timestamp)",
                [check_name, mark.load_id, json.dumps({**mark.state, "duckdb": duckdb.__version__}), run_id],
            )
    except duckdb.Error as exc:
        log.warning(f"Could not keep {check_name}'s watermark in {warehouse}: {type(exc).__name__}: {exc}")
