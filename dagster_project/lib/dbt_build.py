"""What one dbt build is given, and whether it can be skipped.

The arguments: `dbt build` with the vars that differ from dbt_project.yml's defaults, the warehouse
path among them (the profile reads it from the var `warehouse`), so dbt is configured by its
command line and nothing writes the process environment.

The skip: a build's inputs are the raw layer (events and targets), the dbt vars and the dbt project. When none changed
since the last complete build, the marts would come out the same, so a second `make run` (or a
scheduled run with no new files) is quick. The fingerprint hashes those inputs.

A build is complete or is redone: the marker that allows the skip lives in the warehouse itself
(`pipeline.complete_build`), is deleted before dbt touches any model, and is written again only after
dbt reported every model of the project built, in this one invocation, with the vars of this run. A
build killed half way (a crash, an OOM kill), a partial selection or a build with other vars (an
as-of run) leaves no marker, so the next run builds everything again.

Incremental or full (docs/scale.md, "Incremental builds"): the marker also keeps the state the
build started from (`build_state`: dbt project, vars, held loads, newest raw load). The next build
is incremental only when it starts from such a complete build with the same project and vars and no
hold released (`full_refresh_reason`); otherwise it is `dbt build --full-refresh`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib.settings import Settings
from dagster_project.lib.sql import has_table

LAST_MART = ("marts", "metric_values")
MARKER_TABLE = "pipeline.complete_build"
_MARKER_DDL = f"""
create schema if not exists pipeline;
create table if not exists {MARKER_TABLE} (
    fingerprint varchar not null, vars varchar not null, run_id varchar, built_at timestamp not null
);
alter table {MARKER_TABLE} add column if not exists build_state varchar"""


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The dbt vars of a run: the warehouse file, DuckDB's limits (dbt/profiles.yml), and as_of when
    it is set."""
    variables = {"warehouse": str(settings.warehouse), **settings.duckdb.dbt_vars()}
    if settings.as_of is not None:
        variables["as_of"] = settings.as_of.isoformat(sep=" ")
    return variables


def table_shaping_vars(variables: dict) -> dict:
    """The vars that can change what the tables hold: all but DuckDB's memory, threads and temp folder
    (how a build runs, not what it makes), so changing those neither defeats the skip nor forces a
    full refresh."""
    return {key: value for key, value in variables.items() if not key.startswith("duckdb_")}


def dbt_build_args(variables: dict) -> list[str]:
    """`dbt build` with a run's whole vars (`dbt_vars` and the others: defs/dbt/run_vars.py)."""
    # dbt unit tests pin the SQL, not the data: they run in the test suite, not in every run.
    return ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]


def _project_digest(manifest_path: Path) -> str:
    """The dbt project as parsed, without what changes at every parse while the project does not: the
    manifest's generation time and invocation id, and the time each node, macro and source was
    parsed (`created_at`: a parse under other vars, e.g. a test's, parses every file again)."""
    found = manifest_path.stat()  # a build asks several times (0.1 s each): hashed once per version
    return _manifest_digest(str(manifest_path), found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=4)
def _manifest_digest(manifest_path: str, mtime_ns: int, size: int) -> str:
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    manifest.pop("metadata", None)
    for resources in manifest.values():
        for resource in resources.values() if isinstance(resources, dict) else ():
            if isinstance(resource, dict):
                resource.pop("created_at", None)
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
        "vars": table_shaping_vars(variables),
        "dbt_project": _project_digest(manifest_path),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


PARSE_STATE = "partial_parse.msgpack"


def keep_parse_state(build_target: Path, project_dir: Path) -> None:
    """Keep a finished build's parse state for the next build. dbt parses the whole project again
    (seconds) when the vars differ from those its saved state was parsed with, and `make` parses with
    none; dagster-dbt starts each build from `<project>/target/partial_parse.msgpack`, so the next
    build with the same settings parses only what changed. Replaced atomically: a build starting now
    copies either state whole."""
    built = build_target / PARSE_STATE
    if not built.exists():
        return
    kept = project_dir / "target" / PARSE_STATE
    partial = kept.with_name(f".{PARSE_STATE}.{os.getpid()}")
    shutil.copyfile(built, partial)
    os.replace(partial, kept)


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


# --------------------------------------------------------------------------- the complete-build marker


def project_models(manifest_path: Path) -> dict[str, tuple[str, str]]:
    """unique_id -> (schema, table) of every enabled model the project materializes."""
    found = manifest_path.stat()  # a build asks several times: read once per version of the manifest
    return _project_models(str(manifest_path), found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=4)
def _project_models(manifest_path: str, mtime_ns: int, size: int) -> dict[str, tuple[str, str]]:
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    return {
        unique_id: (node["schema"], node["alias"])
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["config"].get("enabled", True)
        and node["config"].get("materialized") != "ephemeral"
    }


def missing_from_build(run_results: dict, variables: dict, manifest_path: Path) -> list[str]:
    """Why a finished dbt invocation is not a complete build of the project with these vars: the
    models it did not build successfully (and a vars mismatch); empty when it is complete."""
    built = {r["unique_id"] for r in run_results.get("results", []) if r.get("status") == "success"}
    problems = sorted(set(project_models(manifest_path)) - built)
    used_vars = run_results.get("args", {}).get("vars") or {}
    if isinstance(used_vars, str):
        used_vars = json.loads(used_vars)
    if used_vars != variables:
        problems.append(f"vars {used_vars} instead of {variables}")
    return problems


def clear_build_marker(warehouse: Path) -> None:
    """Before dbt touches any model: from now until the marker is written again, the marts may be a
    mix of two builds, so no later run may skip its build."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(_MARKER_DDL)
        con.execute(f"delete from {MARKER_TABLE}")


def write_build_marker(
    warehouse: Path, fingerprint: str, variables: dict, run_id: str | None, state: dict | None = None
) -> None:
    """Mark a complete build; `state` is the build_state it started from (for the next build's
    full-refresh decision)."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(_MARKER_DDL)
        con.execute("begin transaction")
        con.execute(f"delete from {MARKER_TABLE}")
        con.execute(
            f"insert into {MARKER_TABLE} (fingerprint, vars, run_id, built_at, build_state)"
            " values (?, ?, ?, now()::timestamp, ?)",
            [fingerprint, json.dumps(variables, sort_keys=True), run_id, state and json.dumps(state)],
        )
        con.execute("commit")


def marker_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The marker's fingerprint on an open warehouse connection, or None (no complete build)."""
    if not has_table(con, "pipeline", "complete_build"):
        return None
    row = con.execute(f"select fingerprint from {MARKER_TABLE}").fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class CompleteBuild:
    """The warehouse's last complete build: its marker's fingerprint, and the build_state it started
    from (None for a marker written before build states were kept)."""

    fingerprint: str
    state: dict | None


def last_complete_build(warehouse: Path, manifest_path: Path) -> CompleteBuild | None:
    """The last complete build, if its marker is there and every model of the project still exists;
    else None (build again, in full). One read of the warehouse for the skip and the full-refresh
    decisions."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fingerprint = marker_fingerprint(con)
        if fingerprint is None:
            return None
        tables = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables"
                " where table_catalog = current_database()"
            ).fetchall()
        )  # one query, not one per model
        if not set(project_models(manifest_path).values()) <= tables:
            return None
        columns = {row[0] for row in con.execute(f"describe {MARKER_TABLE}").fetchall()}
        row = (
            con.execute(f"select build_state from {MARKER_TABLE}").fetchone()
            if "build_state" in columns
            else None
        )
    return CompleteBuild(fingerprint, json.loads(row[0]) if row and row[0] else None)


# --------------------------------------------------------------------------- incremental or full


def build_state(warehouse: Path, variables: dict, manifest_path: Path) -> dict:
    """What a build starts from, as far as the full-refresh decision cares: the dbt project, the
    vars, the held loads and the newest raw load (read before dbt runs, so a load landing during the
    build is staged by the next one: the watermark may lag, never skip)."""
    held, newest = [], None
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            if has_table(con, "raw", "sales_events"):
                newest = con.execute("select max(load_id) from raw.sales_events").fetchone()[0]
            if has_table(con, "raw", "held_load_ids"):
                held = [
                    row[0]
                    for row in con.execute("select load_id from raw.held_load_ids order by 1").fetchall()
                ]
    return {
        "dbt_project": _project_digest(manifest_path),
        "vars": table_shaping_vars(variables),
        "held_load_ids": held,
        "newest_load_id": newest,
    }


def full_refresh_reason(previous: dict | None, current: dict) -> str | None:
    """Why this build must rebuild every model from all history (`dbt build --full-refresh`), or None
    when an incremental build gives the same tables: it starts from a complete build with the same
    dbt project and vars, and the loads staged then are still the loads staged now (no hold
    released, no staged load held since, no load gone)."""
    if previous is None:
        return "no complete build to continue (first build, or the last one did not finish)"
    if previous["dbt_project"] != current["dbt_project"]:
        return "the dbt project changed"
    if previous["vars"] != current["vars"]:
        changed = sorted(
            key
            for key in {*previous["vars"], *current["vars"]}
            if previous["vars"].get(key) != current["vars"].get(key)
        )
        return f"the dbt vars changed ({', '.join(changed)})"
    before, now = set(previous["held_load_ids"]), set(current["held_load_ids"])
    if released := sorted(before - now):
        return f"held load(s) {', '.join(map(str, released))} released"
    last = previous["newest_load_id"]
    newest = current["newest_load_id"]
    if last is not None and (newest is None or newest < last):
        return "the raw layer lost loads since the last build"
    if held_after := sorted(load for load in now - before if last is not None and load <= last):
        return f"load(s) {', '.join(map(str, held_after))} held after being staged"
    return None
