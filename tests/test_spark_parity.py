"""The same dbt models on Spark: generated dirty data through both targets, every model equal.

One dirty data set (python -m dagster_project.demo --dirty) is loaded once: the raw layer in a
DuckDB warehouse and the lake beside it. The DuckDB target builds the models in a copy of that
warehouse; the Spark target (one dbt process: one Spark session, local mode) builds them from
the lake and exports them as Parquet. Every staging, intermediate and mart model must hold the same
rows (doubles to 1e-9) with the same columns and types, and publishing must serve the same
marts.metric_values through sales.duckdb whichever engine computed it.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.dbt_target import DEFAULT_JAVA_HOME, DbtTarget, java_environment
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.metrics_catalog import METRIC_KEYS
from dagster_project.lib.serving.publish import SERVING_DB, publish_marts
from dagster_project.lib.settings import DBT_PROJECT_DIR
from dagster_project.lib.spark.mirror import exported_models, mirror_exported_models

DBT = str(Path(sys.executable).parent / "dbt")
MODEL_SCHEMAS = ("staging", "intermediate", "marts")
# On Spark, the tests of marts.metric_values run too: the project's own generic tests (whose SQL is
# engine-specific as well) and the singular test over all ten marts. The rest run on DuckDB.
SPARK_TESTS = ["value_is_ratio_metric_values_", "no_gaps_metric_values_metric",
               "unique_combination_metric_values_metric__period_start__dimension__dimension_value",
               "metric_values_holds_every_mart_row"]  # fmt: skip


def run_dbt(target: DbtTarget, command: list[str], scratch: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **java_environment()}
    env.setdefault("SALES_SPARK_DRIVER_MEMORY", "1g")  # small data
    env.setdefault("SALES_SPARK_MASTER", "local[2]")
    env.setdefault("SALES_SPARK_SHUFFLE_PARTITIONS", "2")
    done = subprocess.run(
        [DBT, *command, "--profiles-dir", ".", *target.cli_args(),
         "--vars", json.dumps({"warehouse": str(target.warehouse), **target.dbt_vars()}),
         "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[dict[str, DbtTarget]]:
    root = tmp_path_factory.mktemp("parity")
    landing = root / "landing"
    subprocess.run(
        [sys.executable, "-m", "dagster_project.demo", "--out", str(landing), "--contacts", "60",
         "--seed", "11", "--format", "jsonl", "--dirty"],
        check=True, capture_output=True,
    )  # fmt: skip
    spark_side = root / "spark_side" / "warehouse.duckdb"
    spark_side.parent.mkdir()
    [result] = load_landing_dir(landing, spark_side)
    assert result.rows_rejected > 0 and result.rows_accepted > 0  # dirty data, mostly good

    # The DuckDB target builds in a copy of the warehouse, with the same raw rows.
    duckdb_side = root / "duckdb_side" / "warehouse.duckdb"
    duckdb_side.parent.mkdir()
    shutil.copy(spark_side, duckdb_side)
    duck = DbtTarget.resolve("duckdb", duckdb_side)
    spark = DbtTarget.resolve("spark", spark_side)

    run_dbt(duck, ["run"], root / "dbt_duckdb")
    spark_build = ["build", "--select", "resource_type:model", *SPARK_TESTS,
                   "--indirect-selection", "empty", "--exclude-resource-type", "unit_test"]  # fmt: skip
    run_dbt(spark, spark_build, root / "dbt_spark")
    results = json.loads((root / "dbt_spark" / "target" / "run_results.json").read_text())["results"]
    yield {"duckdb": duck, "spark": spark, "spark_results": results}


def relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
    return {(schema, name) for schema, name in rows}


def test_spark_builds_every_model_and_nothing_in_the_warehouse(built):
    spark: DbtTarget = built["spark"]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in built["spark_results"]}
    assert {name: statuses.get(name) for name in SPARK_TESTS} == dict.fromkeys(SPARK_TESTS, "pass")
    with duckdb.connect(str(spark.warehouse), read_only=True) as con:
        assert {schema for schema, _ in relations(con)} == {"raw"}
    with duckdb.connect(str(built["duckdb"].warehouse), read_only=True) as con:
        duckdb_models = {r for r in relations(con) if r[0] in MODEL_SCHEMAS}
    assert set(exported_models(spark.export_dir)) == duckdb_models
    assert {model: statuses[model] for _, model in duckdb_models} == dict.fromkeys(
        [model for _, model in duckdb_models], "success"
    )
    assert {("marts", key) for key in (*METRIC_KEYS, "metric_values")} <= duckdb_models


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in con.execute(f"describe select * from {relation}").fetchall()]


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
            # Sorted by every column but the doubles, which are compared with a tolerance.
            order = ", ".join(f'"{name}"' for name, kind in columns if kind != "DOUBLE") or "1"
            expected = con.execute(f"select {names} from {ours} order by {order}").fetchall()
            actual = con.execute(f"select {names} from {theirs} order by {order}").fetchall()
            assert len(actual) == len(expected), ours
            for row, (want, got) in enumerate(zip(expected, actual, strict=True)):
                diffs = [
                    (c, w, g) for (c, _), w, g in zip(columns, want, got, strict=True) if not _same(w, g)
                ]
                assert not diffs, f"{ours} row {row}: (column, duckdb, spark) {diffs}"


def test_published_metric_values_are_the_same_whichever_engine(built, tmp_path):
    spark: DbtTarget = built["spark"]
    mirrored = mirror_exported_models(spark.warehouse, spark.export_dir)
    assert "marts.metric_values" in mirrored
    served = {}
    for name in ("duckdb", "spark"):
        serving = tmp_path / name
        publish_marts(built[name].warehouse, serving, switch_margin_s=0.05)
        with duckdb.connect(str(serving / SERVING_DB), read_only=True) as con:
            served[name] = con.execute(
                "select metric, period_start, dimension, coalesce(dimension_value, ''), numerator, denominator,"
                " value from marts.metric_values order by all"
            ).fetchall()
    assert len(served["spark"]) == len(served["duckdb"]) > 100
    for want, got in zip(served["duckdb"], served["spark"], strict=True):
        assert all(_same(w, g) for w, g in zip(want, got, strict=True)), (want, got)
    # The mirrored warehouse holds views over Spark's files, no copy of its rows.
    with duckdb.connect(str(spark.warehouse), read_only=True) as con:
        kinds = con.execute(
            "select distinct table_type from information_schema.tables where table_schema <> 'raw'"
        ).fetchall()
    assert kinds == [("VIEW",)]


def test_spark_target_passes_its_folders_and_java_17(tmp_path):
    target = DbtTarget.resolve("spark", tmp_path / "w.duckdb")
    assert target.cli_args() == ["--target", "spark"]
    assert target.dbt_vars() == {"dbt_target": "spark", "lake_dir": str(tmp_path / "lake"),
                                 "spark_dir": str(tmp_path / "spark")}  # fmt: skip
    assert DbtTarget.resolve("duckdb", tmp_path / "w.duckdb").dbt_vars() == {}  # DuckDB runs as before
    if DEFAULT_JAVA_HOME.is_dir():
        assert java_environment({}) == {"JAVA_HOME": str(DEFAULT_JAVA_HOME)}
    assert java_environment({"JAVA_HOME": "/opt/jdk-21"}) == {}
    with pytest.raises(ValueError, match="SALES_DBT_TARGET='sparky' is not a dbt target"):
        DbtTarget.resolve("sparky", tmp_path / "w.duckdb")
