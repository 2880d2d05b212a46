"""What one dbt build is given, and whether it can be skipped.

The arguments: `dbt build` with the vars that differ from dbt_project.yml's defaults, the warehouse
path among them (the profile reads it from the var `warehouse`), so dbt is configured by its
command line and nothing writes the process environment.

The skip: a build's inputs are the raw layer (events and targets), the dbt vars and the dbt
project. When none changed since the last complete build, the marts would come out the same, so a
second `make run` (or a scheduled run with no new files) is quick. The fingerprint hashes those inputs; the dbt asset keeps it
in the materialization metadata of `marts/metric_values`, the last table a complete build writes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.settings import Settings
from dagster_project.lib.sql import has_table

LAST_MART = ("marts", "metric_values")


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The dbt vars of a run: the warehouse file, and as_of when it is set."""
    variables = {"warehouse": str(settings.warehouse)}
    if settings.as_of is not None:
        variables["as_of"] = settings.as_of.isoformat(sep=" ")
    return variables


def dbt_build_args(settings: Settings, more_vars: dict | None = None) -> list[str]:
    """`dbt build` with the run's vars and any others (the planning settings' fiscal calendar)."""
    # dbt unit tests pin the SQL, not the data: they run in the test suite, not in every run.
    variables = {**dbt_vars(settings), **(more_vars or {})}
    return ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]


def _project_digest(manifest_path: Path) -> str:
    """The dbt project as parsed, without the manifest's generation time and invocation id (which
    change at every parse while the project does not)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.pop("metadata", None)
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


def build_fingerprint(warehouse: Path, variables: dict, manifest_path: Path) -> str | None:
    """What the build depends on, hashed; None when the warehouse has no marts to reuse."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_table(con, *LAST_MART):
            return None
        raw_state = con.execute(
            "select max(load_id), cast(max(loaded_at) as varchar), count(*),"
            " (select string_agg(load_id::varchar, ',' order by load_id) from raw.held_load_ids)"
            " from raw.sales_events"
        ).fetchone()
        # The targets are reloaded every run: what counts is their content, not their load time.
        targets = (
            con.execute(
                "select md5(coalesce(string_agg(concat_ws('|', period_start, period_end, measure,"
                " dimension, dimension_value, target), ',' order by line_number), ''))"
                " from raw.sales_targets"
            ).fetchone()[0]
            if has_table(con, "raw", "sales_targets")
            else None
        )
    inputs = {
        "warehouse": str(warehouse.resolve()),
        "raw": [str(value) for value in raw_state],
        "targets": targets,
        "vars": variables,
        "dbt_project": _project_digest(manifest_path),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def build_story(events: list, seconds: float) -> str:
    """One line on a dbt build: models built, tests passed, warned and failed, and its time."""
    models = sum(isinstance(event, dg.Output) for event in events)
    checks = [event for event in events if isinstance(event, dg.AssetCheckResult)]
    failed = [c for c in checks if not c.passed]
    warned = sum(c.severity == dg.AssetCheckSeverity.WARN for c in failed)
    line = f"dbt: {models} models built, {len(checks)} tests: {len(checks) - len(failed)} passed"
    if failed:
        line += (
            f", {warned} warned, {len(failed) - warned} failed ({', '.join(c.check_name for c in failed[:5])}"
        )
        line += f" and {len(failed) - 5} more)" if len(failed) > 5 else ")"
    return line + f" in {seconds:.0f} s."
