"""Start a run when files land: a sensor that fingerprints the landing folder.

It compares each file's path, size and modification time with the fingerprints in its cursor, and
leaves out files the warehouse's ledger already holds (read-only; skipped while a run holds the
file). The ingestion itself decides by content hash what is new, so a false positive only costs a
run that loads nothing.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.ingestion.landing import already_loaded, landing_fingerprints

from .jobs import refresh_job


@dg.sensor(
    name="landing_files_sensor",
    job=refresh_job,
    minimum_interval_seconds=20,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a refresh when new or changed files appear in SALES_LANDING_DIR.",
)
def landing_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    current = landing_fingerprints(settings.landing_dir)
    seen = json.loads(context.cursor) if context.cursor else {}
    changed = {name: fingerprint for name, fingerprint in current.items() if seen.get(name) != fingerprint}
    # Files a run already loaded (e.g. by `make run` before `make dev`) start nothing.
    changed = sorted(set(changed) - already_loaded(settings.warehouse, changed))
    if not changed:
        context.update_cursor(json.dumps(current))
        return dg.SkipReason(f"No new files among {len(current)} in the landing folder.")
    run_key = hashlib.sha256(json.dumps([(n, current[n]) for n in changed]).encode()).hexdigest()[:16]
    context.log.info(f"{len(changed)} new or changed file(s): {changed[:10]}")
    context.update_cursor(json.dumps(current))
    return dg.RunRequest(
        run_key=run_key, tags={"sales/trigger": "landing_files", "sales/new_files": str(len(changed))}
    )
