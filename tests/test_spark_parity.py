"""The same dbt models on Spark: generated dirty data through both targets, every model equal.

One dirty data set (python -m dagster_project.demo --dirty), after a broken export whose load is
held out of staging, goes through a real Dagster run with
SALES_DBT_TARGET=spark: the loader writes the raw layer and the lake, dbt builds every model in Spark
(one dbt process: one Spark session, local mode) from the lake and exports them as Parquet, the
warehouse gets views over them, quality checks run on those views, and publishing serves them.
The same files go through the DuckDB target (dbt directly, in a warehouse of its own). Every
staging, intermediate and mart model must hold the same rows (doubles to 1e-9) with the same
columns and types, and both sales.duckdb files must serve the same marts.metric_values.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.resources import EngineResource
from dagster_project.lib.dbt_target import DEFAULT_JAVA_HOME, DbtTarget, java_environment
from dagster_project.lib.ingestion.gate import apply_gate
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.metrics_catalog import METRIC_KEYS
from dagster_project.lib.planning.settings import DEMO_TARGETS_FILE
from dagster_project.lib.planning.store import store_targets
from dagster_project.lib.planning.targets import read_targets_file
from dagster_project.lib.serving.publish import SERVING_DB, publish_marts
from dagster_project.lib.settings import DBT_PROJECT_DIR
from dagster_project.lib.spark.mirror import exported_models, mirror_exported_models
from tests.conftest import warehouse_settings, write_jsonl

DBT = str(Path(sys.executable).parent / "dbt")
MODEL_SCHEMAS = ("staging", "intermediate", "marts")
METRIC_VALUES = dg.AssetKey(["marts", "metric_values"])
# The checks the Spark run evaluates: dbt tests of marts.metric_values in Spark (the project's own
# generic tests, whose SQL is engine-specific as well), and the Great Expectations reconciliations,
# whose aggregates DuckDB computes over the views of Spark's models. The other dbt tests run on
# DuckDB in the rest of the suite; all of them pass on Spark too (measured, docs/scale.md).
SPARK_RUN_CHECKS = [
    dg.AssetCheckKey(METRIC_VALUES, "metric_values_rules"),
    dg.AssetCheckKey(METRIC_VALUES, "no_gaps_metric_values_metric"),
    dg.AssetCheckKey(METRIC_VALUES, "gx_marts_reconcile_with_staging"),
    dg.AssetCheckKey(dg.AssetKey(["staging", "stg_sales_events"]), "gx_staging_reconciles_with_raw"),
]  # fmt: skip
SMALL_SPARK = {  # read by dbt/profiles.yml in the dbt process: small data, a shared machine
    "SALES_SPARK_DRIVER_MEMORY": "1g",
    "SALES_SPARK_MASTER": "local[2]",
    "SALES_SPARK_SHUFFLE_PARTITIONS": "2",
}


def generate(landing: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "dagster_project.demo", "--out", str(landing), "--contacts", "60",
         "--seed", "11", "--format", "jsonl", "--dirty"],
        check=True, capture_output=True,
    )  # fmt: skip


# An earlier export, mostly broken: its load is held out of staging (lib/ingestion/gate.py), and its
# good rows must stay out of the models on both engines (Spark gets the held loads as a var).
HELD_FILE = "0_broken_export.jsonl"
HELD_ROWS = [
    {"event_id": f"held-{i}", "event_type": "call", "occurred_at": f"2025-03-0{i}T10:00:00Z",
     "contact_id": "held-contact", "rep_id": "held-rep", "direction": "outbound", "outcome": "connected"}
    for i in range(1, 5)
] + ["{not json"] * 6  # fmt: skip


def load_held_file(landing: Path, warehouse: Path) -> None:
    """The broken export, loaded and held by an earlier run (load 1)."""
    [result] = load_landing_dir(landing, warehouse, run_id="an-earlier-run")
    assert (result.source_file, result.rows_accepted, result.rows_rejected) == (HELD_FILE, 4, 6)
    new_holds, _ = apply_gate(warehouse, "an-earlier-run", max_reject_share=0.05)
    assert [hold.load_id for hold in new_holds] == [1]


def build_with_duckdb(landing: Path, root: Path) -> DbtTarget:
    """The default engine, by hand: load, hold, `dbt run`, publish."""
    target = DbtTarget.resolve("duckdb", root / "warehouse.duckdb")
    results = load_landing_dir(landing, target.warehouse, run_id="duckdb-run")
    assert [r.status for r in results] == ["skipped", "loaded"]  # the held file was loaded before
    assert results[1].rows_rejected > 0 and results[1].rows_accepted > 0  # dirty data, mostly good
    assert apply_gate(target.warehouse, "duckdb-run", max_reject_share=0.05)[0] == []
    # The targets, as the Dagster asset raw/sales_targets stores them in the Spark run (the demo file).
    with duckdb.connect(str(target.warehouse)) as con:
        store_targets(con, read_targets_file(DEMO_TARGETS_FILE), datetime(2026, 1, 1))
    done = subprocess.run(
        # --full-refresh: as the pipeline's first build (lib/dbt_build.py), which leaves the incremental
        # bookkeeping models empty, as Spark does.
        [DBT, "run", "--full-refresh", "--profiles-dir", ".", *target.cli_args(), "--vars", json.dumps({"warehouse": str(target.warehouse)}),
         "--target-path", str(root / "target"), "--log-path", str(root / "logs")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:]
    publish_marts(target.warehouse, root / "serving", switch_margin_s=0.05)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory, definitions, dagster_instance) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("parity")
    landing = root / "landing"
    spark_root = root / "spark_side"
    spark = DbtTarget.resolve("spark", spark_root / "warehouse.duckdb")
    write_jsonl(landing / HELD_FILE, HELD_ROWS)
    for side in (root / "duckdb_side", spark_root):
        load_held_file(landing, side / "warehouse.duckdb")
    generate(landing)
    duck = build_with_duckdb(landing, root / "duckdb_side")

    job = definitions.resolve_job_def("refresh_sales_metrics")
    # Every asset, the checks above, and the checks Dagster cannot run apart from their asset.
    inseparable = {
        key for a in definitions.resolve_asset_graph().assets_defs if not a.can_subset for key in a.check_keys
    }
    everything = job.get_subset(
        asset_selection=set(job.asset_layer.selected_asset_keys),
        asset_check_selection=set(SPARK_RUN_CHECKS) | inseparable,
    )
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL_SPARK.items():
            patch.setenv(name, value)
        result = everything.execute_in_process(
            instance=dagster_instance,
            resources={
                "warehouse": warehouse_settings(landing, spark.warehouse, serving_dir=spark_root / "serving"),
                "engine": EngineResource(dbt_target="spark"),
            },
        )
    yield {"duckdb": duck, "spark": spark, "result": result}


def relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(schema, name) of every table and view."""
    rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {(schema, name) for schema, name in rows}


def test_a_spark_run_builds_every_model_outside_the_warehouse(built):
    result: dg.ExecuteInProcessResult = built["result"]
    assert result.success
    spark: DbtTarget = built["spark"]
    with duckdb.connect(str(built["duckdb"].warehouse), read_only=True) as con:
        duckdb_models = {r for r in relations(con) if r[0] in MODEL_SCHEMAS}
    assert {("marts", key) for key in (*METRIC_KEYS, "metric_values")} <= duckdb_models
    # Spark built every model the DuckDB target builds, and each was materialized by the run.
    assert set(exported_models(spark.export_dir)) == duckdb_models
    materialized = {tuple(e.asset_key.path) for e in result.get_asset_materialization_events()}
    assert duckdb_models <= materialized
    assert {("serving", "published_marts"), ("raw", "sales_events")} <= materialized
    # The warehouse holds the raw layer and views over Spark's files: no table of a model.
    with duckdb.connect(str(spark.warehouse), read_only=True) as con:
        kinds = set(con.execute("select table_schema, table_type from information_schema.tables").fetchall())
    assert {(schema, kind) for schema, kind in kinds if schema in MODEL_SCHEMAS} == {
        (schema, "VIEW") for schema in MODEL_SCHEMAS
    }
    # The targets, stored in the warehouse only, reached Spark (lib/spark/reference.py).
    targets = f"read_parquet('{spark.export_dir}/staging/stg_sales_targets/*.parquet')"
    assert duckdb.sql(f"select count(*) from {targets}").fetchone()[0] > 0
    # The lake holds both loads; the held one stays out of the models on both engines.
    assert sorted(p.name for p in (spark.lake_dir / "sales_events").iterdir()) == ["load_id=1", "load_id=2"]
    staged = f"read_parquet('{spark.export_dir}/staging/stg_sales_events/*.parquet')"
    for relation, warehouse in (
        (staged, spark.warehouse),
        ("staging.stg_sales_events", built["duckdb"].warehouse),
    ):
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute(
                f"select count(*) from {relation} where event_id like 'held-%'"
            ).fetchone() == (0,)
            assert con.execute(f"select count(distinct load_id) from {relation}").fetchone() == (1,)


def test_checks_pass_on_the_models_spark_built(built):
    evaluations = {e.check_name: e.passed for e in built["result"].get_asset_check_evaluations()}
    assert {name: evaluations.get(name) for name in (key.name for key in SPARK_RUN_CHECKS)} == {
        key.name: True for key in SPARK_RUN_CHECKS
    }


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """Names and types; DuckDB's ENUMs (a vocabulary's values, macro as_vocabulary) are text on Spark."""
    return [
        (row[0], "VARCHAR" if row[1].startswith("ENUM(") else row[1])
        for row in con.execute(f"describe select * from {relation}").fetchall()
    ]


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def test_every_model_is_equal_row_by_row(built):
    spark_models = exported_models(built["spark"].export_dir)
    with duckdb.connect(str(built["duckdb"].warehouse), read_only=True) as con:
        for (schema, model), folder in sorted(spark_models.items()):
            ours = f"{schema}.{model}"
            theirs = f"read_parquet('{folder}/*.parquet')"
            columns = _columns(con, ours)
            assert _columns(con, theirs) == columns, ours
            names = ", ".join(f'"{name}"' for name, _ in columns)
            # Sorted by every column but the doubles, which are compared with a tolerance; text as
            # text (an ENUM sorts by its vocabulary's order).
            order = (
                ", ".join(
                    f'cast("{name}" as varchar)' if kind == "VARCHAR" else f'"{name}"'
                    for name, kind in columns
                    if kind != "DOUBLE"
                )
                or "1"
            )
            expected = con.execute(f"select {names} from {ours} order by {order}").fetchall()
            actual = con.execute(f"select {names} from {theirs} order by {order}").fetchall()
            assert len(actual) == len(expected), ours
            for row, (want, got) in enumerate(zip(expected, actual, strict=True)):
                diffs = [
                    (c, w, g) for (c, _), w, g in zip(columns, want, got, strict=True) if not _same(w, g)
                ]
                assert not diffs, f"{ours} row {row}: (column, duckdb, spark) {diffs}"


def test_sales_duckdb_serves_the_same_metric_values_whichever_engine(built):
    served = {}
    for name in ("duckdb", "spark"):
        serving = built[name].warehouse.parent / "serving"
        with duckdb.connect(str(serving / SERVING_DB), read_only=True) as con:
            served[name] = con.execute(
                "select metric, period_start, dimension, coalesce(dimension_value, ''), numerator, denominator,"
                " value from marts.metric_values order by all"
            ).fetchall()
    assert len(served["spark"]) == len(served["duckdb"]) > 100
    for want, got in zip(served["duckdb"], served["spark"], strict=True):
        assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (want, got)


def test_spark_target_passes_its_folders_and_java_17(tmp_path):
    target = DbtTarget.resolve("spark", tmp_path / "w.duckdb")
    assert target.cli_args() == ["--target", "spark"]
    assert target.dbt_vars() == {
        "dbt_target": "spark",
        "lake_dir": str(tmp_path / "lake"),
        "spark_dir": str(tmp_path / "spark"),
        "held_load_ids": [],  # no warehouse yet: nothing held
    }
    assert DbtTarget.resolve("duckdb", tmp_path / "w.duckdb").dbt_vars() == {}  # DuckDB runs as before
    if DEFAULT_JAVA_HOME.is_dir():
        assert java_environment({}) == {"JAVA_HOME": str(DEFAULT_JAVA_HOME)}
    assert java_environment({"JAVA_HOME": "/opt/jdk-21"}) == {}
    with pytest.raises(ValueError, match="SALES_DBT_TARGET='sparky' is not a dbt target"):
        DbtTarget.resolve("sparky", tmp_path / "w.duckdb")


def test_views_replace_what_a_duckdb_build_left_and_read_the_export(tmp_path):
    """No Spark needed: an export written by hand, over a warehouse a DuckDB build filled before."""
    warehouse, export = tmp_path / "warehouse.duckdb", tmp_path / "export"
    (export / "marts" / "conversations").mkdir(parents=True)
    (export / "marts" / "empty_folder").mkdir()  # no Parquet file: not a model of the export
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.conversations as select 1 as old_engine")
        con.execute(f"copy (select 2 as spark_row) to '{export}/marts/conversations/part-00000.parquet'")
    assert mirror_exported_models(warehouse, export) == ["marts.conversations"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select * from marts.conversations").fetchall() == [(2,)]
        assert con.execute(
            "select table_type from information_schema.tables where table_name = 'conversations'"
        ).fetchall() == [("VIEW",)]
    assert mirror_exported_models(warehouse, export) == ["marts.conversations"]  # again: replaced
