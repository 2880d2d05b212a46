"""Publishing the marts for BI tools: real DuckDB files, real reader processes, real Dagster runs.

The warehouse here is a small hand-made DuckDB file with a `marts` schema: each "run" writes
tables whose every row carries the run number and whose row count depends on it, so an answer
mixing two runs, or reading one run's rows with another's file metadata, is visible.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.lib.metrics_catalog import METRIC_KEYS
from dagster_project.lib.serving import publish
from tests.conftest import warehouse_settings


def rows_for(run: int) -> int:
    return 3 + run % 5


def make_warehouse(path: Path, run: int, extra_table: str | None = None) -> Path:
    """marts.conversations and marts.metric_values of one run (plus raw tables for freshness)."""
    n = rows_for(run)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists raw")
        con.execute(
            f"""create or replace table marts.conversations as
            select {run}::integer as run, cast(date '2025-01-01' + to_months(i) as date) as period_start,
                   'all' as dimension, null::varchar as dimension_value,
                   (10 * i + {run})::double as numerator, null::double as denominator,
                   (10 * i + {run})::double as value, (i * 1.5)::decimal(10, 2) as amount
            from range({n}) t(i)"""
        )
        con.execute(
            f"""create or replace table marts.metric_values as
            select 'conversations' as metric, {run}::integer as run,
                   cast(date '2025-01-01' + to_months(i) as date) as period_start, 'all' as dimension,
                   null::varchar as dimension_value, (10 * i + {run})::double as numerator,
                   null::double as denominator, (10 * i + {run})::double as value
            from range({n}) t(i)"""
        )
        if extra_table:
            con.execute(
                f"create or replace table marts.{extra_table} as select {run}::integer as run, 'x' as label"
            )
        con.execute("create schema if not exists intermediate")
        con.execute(
            """create or replace table intermediate.int_as_of as
            select timestamp '2025-03-31 12:00:00' as as_of, date '2025-03-01' as as_of_month,
                   date '2025-02-01' as latest_complete_month, timestamp '2025-03-31 12:00:00' as latest_occurred_at"""
        )
        con.execute(
            """create or replace table raw.loaded_files as
            select 'loaded' as status, timestamp '2025-04-01 06:00:00' as loaded_at"""
        )
    return path


def published_runs(serving: Path) -> tuple[list[int], list[int]]:
    with duckdb.connect(str(serving / publish.SERVING_DB), read_only=True) as con:
        a = [r[0] for r in con.execute("select run from marts.conversations").fetchall()]
        b = [r[0] for r in con.execute("select run from marts.metric_values").fetchall()]
    return a, b


def test_publish_writes_a_snapshot_and_views_with_the_warehouse_schema(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    result = publish.publish_marts(warehouse, serving, run_id="run-1", switch_margin_s=0.1)

    assert result.row_counts == {"conversations": rows_for(1), "metric_values": rows_for(1)}
    assert result.serving_db_rebuilt and result.duckdb_version == duckdb.__version__
    assert result.freshness.latest_occurred_at.isoformat() == "2025-03-31T12:00:00"
    assert result.freshness.latest_complete_month.isoformat() == "2025-02-01"
    assert result.freshness.latest_loaded_at.isoformat() == "2025-04-01T06:00:00"
    snapshot = result.snapshot
    assert snapshot.path.parent == serving / "snapshots"
    assert (serving / "current").resolve() == snapshot.path
    assert sorted(p.name for p in (snapshot.path / "marts").iterdir()) == [
        "conversations.parquet",
        "metric_values.parquet",
    ]
    manifest = publish.read_manifest(snapshot)
    assert manifest["run_id"] == "run-1" and manifest["row_counts"]["conversations"] == rows_for(1)
    assert publish.visible_snapshot(serving) == snapshot

    # Same names, columns and types as the warehouse; same rows.
    with duckdb.connect(str(warehouse), read_only=True) as source:
        expected = {t: source.execute(f"describe marts.{t}").fetchall() for t in result.row_counts}
        rows = {
            t: source.execute(f"select * from marts.{t} order by all").fetchall() for t in result.row_counts
        }
    with duckdb.connect(str(serving / "sales.duckdb"), read_only=True) as con:
        for table in result.row_counts:
            assert con.execute(f"describe marts.{table}").fetchall() == expected[table]
            assert con.execute(f"select * from marts.{table} order by all").fetchall() == rows[table]
        info = con.execute("select snapshot, run_id, duckdb_version from serving.snapshot").fetchall()
    assert info == [(snapshot.name, "run-1", duckdb.__version__)]


def test_an_open_connection_sees_the_next_publish_and_the_file_is_not_rewritten(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    publish.publish_marts(warehouse, serving, switch_margin_s=0.1)
    inode = (serving / "sales.duckdb").stat().st_ino

    with duckdb.connect(str(serving / "sales.duckdb"), read_only=True) as reader:
        assert reader.execute("select distinct run from marts.conversations").fetchall() == [(1,)]
        make_warehouse(warehouse, run=2)
        result = publish.publish_marts(
            warehouse, serving, switch_margin_s=0.1
        )  # while the reader is connected
        assert reader.execute("select distinct run from marts.conversations").fetchall() == [(2,)]
        assert reader.execute("select count(*) from marts.metric_values").fetchone()[0] == rows_for(2)

    assert not result.serving_db_rebuilt
    assert (serving / "sales.duckdb").stat().st_ino == inode
    assert (serving / "current").resolve() == result.snapshot.path


def test_a_new_mart_appears_and_connected_readers_keep_working(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    publish.publish_marts(warehouse, serving, switch_margin_s=0.1)

    with duckdb.connect(str(serving / "sales.duckdb"), read_only=True) as old_reader:
        make_warehouse(warehouse, run=2, extra_table="pipeline_velocity")
        result = publish.publish_marts(warehouse, serving, switch_margin_s=0.1)
        assert result.serving_db_rebuilt and "pipeline_velocity" in result.row_counts
        # The old file's views still work (and see the new run); it just lacks the new mart.
        assert old_reader.execute("select distinct run from marts.conversations").fetchall() == [(2,)]

    with duckdb.connect(str(serving / "sales.duckdb"), read_only=True) as new_reader:
        assert new_reader.execute("select run, label from marts.pipeline_velocity").fetchall() == [(2, "x")]


def test_views_use_absolute_paths_so_any_working_directory_works(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=4)
    serving = tmp_path / "serving"
    publish.publish_marts(warehouse, serving, switch_margin_s=0.1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
        "print(con.execute('select count(*), min(run) from marts.conversations').fetchone())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(serving / "sales.duckdb")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"({rows_for(4)}, 4)"


def test_only_the_newest_snapshots_are_kept(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    names = []
    for run in range(1, 5):
        make_warehouse(warehouse, run=run)
        names.append(publish.publish_marts(warehouse, serving, keep=2, switch_margin_s=0.05).snapshot.name)
    assert [s.name for s in publish.list_snapshots(serving)] == names[:1:-1]
    assert not list((serving / ".staging").iterdir()) and not list((serving / ".trash").iterdir())
    assert published_runs(serving) == ([4] * rows_for(4), [4] * rows_for(4))
    with pytest.raises(ValueError, match="keep at least 2"):
        publish.publish_marts(warehouse, serving, keep=1)


def test_a_warehouse_without_marts_is_an_error_and_publishes_nothing(tmp_path):
    warehouse = tmp_path / "empty.duckdb"
    duckdb.connect(str(warehouse)).close()
    with pytest.raises(ValueError, match="no tables in schema 'marts'"):
        publish.publish_marts(warehouse, tmp_path / "serving")
    assert publish.list_snapshots(tmp_path / "serving") == []
    assert not (tmp_path / "serving" / "sales.duckdb").exists()


# --------------------------------------------------------------------------- readers during publishes

READER = r"""
import json, os, sys, time
import duckdb

db, stop, mode = sys.argv[1], sys.argv[2], sys.argv[3]
# One query over both marts: a join, and each mart's own count, in one statement.
SQL = '''
select min(c.run), max(c.run), min(m.run), max(m.run), count(*),
       (select count(*) from marts.conversations), (select count(*) from marts.metric_values),
       (select sum(numerator) from marts.conversations)
from marts.conversations c join marts.metric_values m using (period_start)
'''
con = duckdb.connect(db, read_only=True) if mode == "persistent" else None
while not os.path.exists(stop):
    started = time.time()
    try:
        if mode == "reconnect":
            con = duckdb.connect(db, read_only=True)
        row = con.execute(SQL).fetchone()
        if mode == "reconnect":
            con.close()
        seconds = time.time() - started
        print(json.dumps({"started": started, "seconds": seconds, "row": [float(v) for v in row]}), flush=True)
    except Exception as error:  # every failure is reported, none stops the reader
        print(json.dumps({"started": started, "error": f"{type(error).__name__}: {error}"}), flush=True)
"""


def _answers(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def _wait_for_answer(log: Path, started_after: float, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if any(a["started"] > started_after for a in _answers(log)):
            return
        time.sleep(0.05)
    raise AssertionError(f"{log.name}: no answer to a query started after {started_after} within {timeout}s")


def _start_reader(db: Path, stop: Path, mode: str, log: Path) -> subprocess.Popen:
    """A reader process writing its answers to a file (a pipe nobody reads would block it)."""
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", READER, str(db), str(stop), mode],
            cwd=log.parent,  # not the serving folder: the views' paths must not depend on it
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    _wait_for_answer(log, 0)
    return process


def _expected_row(run: int) -> list[float]:
    n = rows_for(run)
    return [run, run, run, run, n, n, n, sum(10 * i + run for i in range(n))]


def test_readers_are_never_blocked_and_never_see_two_runs_mixed(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    publish.publish_marts(warehouse, serving, keep=3, switch_margin_s=0.5)
    stop, logs = tmp_path / "stop", tmp_path / "readers"
    logs.mkdir()
    readers = {
        mode: _start_reader(serving / "sales.duckdb", stop, mode, logs / f"{mode}.jsonl")
        for mode in ("persistent", "reconnect")
    }

    published_at = {1: 0.0}  # run -> when its publish returned
    last_run = 14
    try:
        for run in range(2, last_run + 1):
            # Run 8 adds a mart: sales.duckdb is replaced while both readers are connected.
            make_warehouse(warehouse, run=run, extra_table="new_mart" if run >= 8 else None)
            result = publish.publish_marts(warehouse, serving, keep=3, switch_margin_s=0.5)
            published_at[run] = time.time()
            assert not result.late_switch, (
                "the publisher stalled longer than the margin (machine overloaded?)"
            )
            assert result.serving_db_rebuilt == (run == 8)
            # A connection opened after the publish sees its data.
            assert published_runs(serving) == ([run] * rows_for(run), [run] * rows_for(run))
            time.sleep(0.05)
        for mode in readers:  # each reader answers a query started after the last publish
            _wait_for_answer(logs / f"{mode}.jsonl", published_at[last_run])
    finally:
        stop.touch()
        for process in readers.values():
            process.wait(timeout=60)

    for mode, process in readers.items():
        answers = _answers(logs / f"{mode}.jsonl")
        errors = [a["error"] for a in answers if "error" in a]
        assert process.returncode == 0, (logs / f"{mode}.jsonl").read_text()[-3000:]
        assert not errors, f"{mode} reader failed: {errors[:5]}"
        runs = []
        for answer in answers:
            run = int(answer["row"][0])
            assert answer["row"] == _expected_row(run), f"{mode} reader saw a mix: {answer['row']}"
            # Never older than a run whose publish had returned before the query started.
            newest_done = max(r for r, t in published_at.items() if t <= answer["started"])
            assert run >= newest_done, f"{mode} reader saw run {run} after run {newest_done} was published"
            runs.append(run)
        assert runs == sorted(runs), f"{mode} reader went back in time"
        slowest = max(a["seconds"] for a in answers)
        assert slowest < 30, f"{mode} reader waited {slowest:.1f}s for an answer"
        print(f"{mode} reader: {len(answers)} answers, runs {runs[0]}..{runs[-1]}, slowest {slowest:.3f}s")
        assert len(set(runs)) >= 5, (
            f"{mode} reader only saw runs {sorted(set(runs))}: it did not overlap the publishes"
        )
        assert runs[-1] == last_run
    assert len(publish.list_snapshots(serving)) == 3


# --------------------------------------------------------------------------- the Dagster assets


def test_serving_assets_come_after_every_mart_and_use_the_warehouse_pool(definitions):
    graph = definitions.resolve_asset_graph()
    published = graph.get(dg.AssetKey(["serving", "published_marts"]))
    marts = {dg.AssetKey(["marts", key]) for key in (*METRIC_KEYS, "metric_values")}
    assert marts <= set(published.parent_keys)
    assert marts <= set(graph.get_all_asset_keys()), "the mart keys are the dbt models' keys"
    report = graph.get(dg.AssetKey(["serving", "metrics_report"]))
    assert set(report.parent_keys) == {dg.AssetKey(["serving", "published_marts"])}
    from dagster_project.defs.serving.assets import metrics_report, published_marts

    assert published_marts.op.pool == WAREHOUSE_POOL
    assert metrics_report.op.pool is None  # it reads the published Parquet, not the warehouse


def test_the_assets_publish_and_report_with_metadata(tmp_path, dagster_instance):
    """A run with as_of publishes to its own folder beside the live serving, which it never touches."""
    from dagster_project.defs.serving.assets import metrics_report, published_marts
    from tests.test_report import sample_metric_values

    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    with duckdb.connect(str(warehouse)) as con:
        frame = sample_metric_values()
        con.register("frame", frame)
        con.execute("create or replace table marts.metric_values as select * from frame")
        con.execute(
            "update intermediate.int_as_of set as_of = timestamp '2025-06-15 00:00:00',"
            " as_of_month = date '2025-06-01', latest_complete_month = date '2025-05-01'"
        )
    live = tmp_path / "serving"
    resource = warehouse_settings(tmp_path / "landing", warehouse, as_of="2025-06-15", serving_dir=live)
    result = dg.materialize(
        [published_marts, metrics_report], instance=dagster_instance, resources={"warehouse": resource}
    )
    assert result.success
    assert publish.visible_snapshot(live) is None and not (live / "sales.duckdb").exists()
    serving = live / "as_of" / "2025-06-15"
    metadata = {
        m.asset_key.to_user_string(): m.metadata
        for m in (e.materialization for e in result.get_asset_materialization_events())
    }
    published = metadata["serving/published_marts"]
    snapshot = publish.visible_snapshot(serving)
    assert published["snapshot"].value == str(snapshot.path)
    assert published["duckdb_version"].value == duckdb.__version__
    assert f"| marts.metric_values | {len(frame):,} |" in published["row_counts"].value
    assert published["as_of"].value == "2025-06-15 00:00:00 UTC"

    report = metadata["serving/metrics_report"]
    assert report["report"].value == (serving / "report" / "index.html").as_uri()
    assert report["report_path"].value == str(serving / "report" / "index.html")
    assert "| 1 | Conversations | May 2025 |" in report["latest_values"].value
    assert (serving / "report" / "index.html").stat().st_size > 10_000
    assert os.path.realpath(serving / "current") == str(snapshot.path)
