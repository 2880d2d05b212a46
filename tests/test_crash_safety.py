"""A build is complete or is redone, and a publish never makes data live before its pointer and report.

The real `kill -9` of whole runs is in tests/test_recovery.py; here the two decisions are held
precisely: which dbt invocations count as a complete build, and what readers see when a publishing
process is killed at the worst instant (right after its snapshot's rename).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import duckdb

from dagster_project.lib.dbt_build import (
    clear_build_marker,
    last_complete_build,
    missing_from_build,
    project_models,
    write_build_marker,
)
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.report.build import publish_with_report
from dagster_project.lib.serving import publish
from tests.conftest import write_jsonl
from tests.test_serving import make_warehouse, published_runs

CALL = {"event_type": "call", "contact_id": "c-1", "direction": "outbound", "outcome": "busy",
        "occurred_at": "2025-03-01T10:00:00Z"}  # fmt: skip

VARS = {"warehouse": "/tmp/w.duckdb"}


def run_results(models: list[str], variables: dict, status: str = "success") -> dict:
    return {"args": {"vars": variables}, "results": [{"unique_id": m, "status": status} for m in models]}


def test_only_every_model_built_with_the_same_vars_is_a_complete_build():
    manifest = dbt_project().manifest_path
    models = sorted(project_models(manifest))
    assert (
        "model.sales_metrics.metric_values" in models and len(models) == 37
    )  # 22 for the ten metrics (int_changed_keys/events for incremental builds), 15 for the plan (dbt/models/planning)

    assert missing_from_build(run_results(models, VARS), VARS, manifest) == []
    # Killed after seven marts, or a selection: the models not built are named.
    assert missing_from_build(run_results(models[:7], VARS), VARS, manifest) == models[7:]
    errored = run_results(models, VARS)
    errored["results"][0]["status"] = "error"
    assert missing_from_build(errored, VARS, manifest) == models[:1]
    # The same models built for another as_of are not this run's build.
    as_of = {**VARS, "as_of": "2025-06-30 00:00:00"}
    assert missing_from_build(run_results(models, as_of), VARS, manifest) == [
        f"vars {as_of} instead of {VARS}"
    ]


def test_the_marker_is_gone_while_a_build_runs_and_needs_every_model(tmp_path):
    manifest = dbt_project().manifest_path
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        for schema, table in project_models(manifest).values():
            con.execute(f"create schema if not exists {schema}; create table {schema}.{table} (x int)")
    assert last_complete_build(warehouse, manifest) is None  # never marked

    write_build_marker(warehouse, "abc", VARS, "run-1")
    assert last_complete_build(warehouse, manifest).fingerprint == "abc"
    clear_build_marker(warehouse)  # a build starts: a crash from here on leaves no marker
    assert last_complete_build(warehouse, manifest) is None

    write_build_marker(warehouse, "def", VARS, "run-2")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.offer_loss_rate")
    assert last_complete_build(warehouse, manifest) is None  # a model is missing: build again


KILL_RIGHT_AFTER_RENAME = """
import os, signal, sys
from pathlib import Path
from dagster_project.lib.serving import publish

def die(snapshot):
    # The folder has just been renamed into snapshots/ and `current` points at it: a hard crash here.
    os.kill(os.getpid(), signal.SIGKILL)

publish.publish_marts(Path(sys.argv[1]), Path(sys.argv[2]), run_id="run-2", switch_margin_s=0.5, before_live=die)
"""


def test_a_publisher_killed_right_after_the_rename_leaves_readers_on_the_previous_run(tmp_path):
    serving = tmp_path / "serving"
    first = publish_with_report(make_warehouse(tmp_path / "w1.duckdb", run=1), serving, switch_margin_s=0.1)
    report = serving / "report" / "index.html"
    assert first.snapshot.name in report.read_text(encoding="utf-8")

    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(KILL_RIGHT_AFTER_RENAME),
            str(make_warehouse(tmp_path / "w2.duckdb", run=2)),
            str(serving),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    renamed = [p for p in (serving / "snapshots").iterdir() if p.name != first.snapshot.name]
    assert len(renamed) == 1 and not (renamed[0] / publish.MANIFEST).exists()
    # The views still serve run 1, which `current` has already left: the pointer is ahead, never behind.
    assert published_runs(serving) == ([1] * 4, [1] * 4)
    assert publish.visible_snapshot(serving) == first.snapshot
    assert os.readlink(serving / publish.CURRENT) == f"snapshots/{renamed[0].name}"

    third = publish_with_report(make_warehouse(tmp_path / "w3.duckdb", run=3), serving, switch_margin_s=0.1)
    assert published_runs(serving) == ([3] * 6, [3] * 6)
    assert os.readlink(serving / publish.CURRENT) == f"snapshots/{third.snapshot.name}"
    assert third.snapshot.name in report.read_text(encoding="utf-8")
    assert not renamed[0].exists()  # the folder that never went live is removed
    assert [s.name for s in publish.list_snapshots(serving)] == [third.snapshot.name, first.snapshot.name]


LOAD_THEN_DIE = """
import os, signal, sys
from pathlib import Path
from dagster_project.lib.ingestion.loader import load_landing_dir

def die(index, total, result):  # the file is committed; the connection is still open, not checkpointed
    os.kill(os.getpid(), signal.SIGKILL)

load_landing_dir(Path(sys.argv[1]), Path(sys.argv[2]), on_file=die)
"""


def test_a_load_after_a_kill_9_never_reuses_the_load_id_of_the_last_committed_one(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    write_jsonl(landing / "first.jsonl", [{**CALL, "event_id": "a"}])
    died = subprocess.run([sys.executable, "-c", LOAD_THEN_DIE, str(landing), str(warehouse)], timeout=120)
    assert died.returncode == -signal.SIGKILL
    # DuckDB 1.4 replays the committed load but not the sequence's advance: nextval gives 1 again.
    write_jsonl(landing / "second.jsonl", [{**CALL, "event_id": "b"}])
    results = {r.source_file: r.status for r in load_landing_dir(landing, warehouse)}
    assert results == {"first.jsonl": "skipped", "second.jsonl": "loaded"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = con.execute("select load_id, source_file from raw.loaded_files order by 1").fetchall()
    assert ledger == [(1, "first.jsonl"), (2, "second.jsonl")]
