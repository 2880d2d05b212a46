"""Helpers for the source tests: run one sync (dlt extraction + mapping) and read what it wrote."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from dlt.extract.source import DltSource

from dagster_project.lib.sources.mapping import CrmMapping, SyncResult, map_to_landing
from dagster_project.lib.sources.staging import crm_pipeline, staging_database
from dagster_project.lib.vocabulary import CANONICAL_COLUMNS


def sync(
    source: DltSource, mapping: CrmMapping, warehouse: Path, landing: Path, now: datetime, **kw
) -> SyncResult:
    crm_pipeline(mapping.crm, warehouse).run(source)
    return map_to_landing(mapping, staging_database(warehouse, mapping.crm), landing, now, **kw)


def _instant(value: str | None) -> str | None:
    """Timestamps compared as instants: 2025-01-08T10:00:00Z == 2025-01-08T10:00:00.000000Z."""
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat()


def canonical(event: dict[str, Any]) -> dict[str, Any]:
    """An expected event with every canonical column (absent = null) and comparable instants."""
    row = {column: event.get(column) for column in CANONICAL_COLUMNS}
    row["occurred_at"], row["updated_at"] = _instant(row["occurred_at"]), _instant(row["updated_at"])
    return row


def events_in(path: Path | None) -> list[dict[str, Any]]:
    """The rows of an events file as canonical dicts, sorted by event_id."""
    if path is None:
        return []
    with duckdb.connect() as con:
        rows = con.execute(f"select * from read_parquet('{path.as_posix()}') order by event_id").fetchall()
        columns = [d[0] for d in con.description]
    return [canonical(dict(zip(columns, row, strict=True))) for row in rows]


def expected(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((canonical(e) for e in events), key=lambda e: e["event_id"])


def outcomes(warehouse: Path, crm: str, sync_id: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(object, record_id) -> (status, reason) of one sync's ledger rows."""
    with duckdb.connect(str(staging_database(warehouse, crm)), read_only=True) as con:
        rows = con.execute(
            "select object, record_id, status, reason from mapping.record_outcomes where sync_id = ?",
            [sync_id],
        ).fetchall()
    return {(o, r): (s, reason) for o, r, s, reason in rows}
