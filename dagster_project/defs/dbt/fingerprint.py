"""Skip a dbt build that would rebuild exactly what the warehouse already holds.

A build's inputs are the raw layer, the dbt vars and the dbt project: when none changed since the
last complete build, the marts would come out the same, so a second `make run` (or a scheduled run
with no new files) is quick. The fingerprint is kept in the materialization metadata of
`marts/metric_values`, the last table a complete build writes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

FINGERPRINT_KEY = "build_fingerprint"
LAST_MART = dg.AssetKey(["marts", "metric_values"])


def build_fingerprint(warehouse: Path, dbt_vars: dict, manifest_path: Path) -> str | None:
    """What the build depends on, hashed; None when the warehouse has no marts to reuse."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        has_marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?",
            [LAST_MART.path[-1]],
        ).fetchone()[0]
        if not has_marts:
            return None
        raw_state = con.execute(
            "select max(load_id), cast(max(loaded_at) as varchar), count(*) from raw.sales_events"
        ).fetchone()
    inputs = {
        "warehouse": str(warehouse.resolve()),
        "raw": [str(value) for value in raw_state],
        "vars": dbt_vars,
        "dbt_project": hashlib.sha256(manifest_path.read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def last_fingerprint(instance: dg.DagsterInstance) -> str | None:
    event = instance.get_latest_materialization_event(LAST_MART)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(FINGERPRINT_KEY)
    return value.value if value is not None else None
