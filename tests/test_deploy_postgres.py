"""Dagster as a service (deploy/): the instance of deploy/dagster.yaml on a real PostgreSQL server.

The module starts one PostgreSQL server (tests/postgres_server.py), points a DAGSTER_HOME holding
deploy/dagster.yaml at it through the DAGSTER_PG_* variables, materializes the raw layer, and
finds the run, its events and its materializations in PostgreSQL's own tables.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
import yaml
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._serdes import deserialize_value
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from dagster_project.defs.ingestion.assets import RAW_TABLES
from tests.conftest import warehouse_settings, write_jsonl
from tests.postgres_server import PostgresServer

REPO_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = REPO_ROOT / "deploy"
DB = {"name": "dagster_runs", "user": "dagster_svc", "password": "s3cret 'quoted\" pass"}
RAW_KEYS = [dg.AssetKey(["raw", table]) for table in RAW_TABLES]  # what the loader's asset materializes


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        server.create_database(DB["name"], user=DB["user"], password=DB["password"])
        yield server


@pytest.fixture(scope="module")
def instance(postgres, tmp_path_factory) -> Iterator[dg.DagsterInstance]:
    """The deploy/ instance, its secrets from the environment as the systemd EnvironmentFile sets them."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_PG_HOST": postgres.host,
        "DAGSTER_PG_PORT": str(postgres.port),
        "DAGSTER_PG_USER": DB["user"],
        "DAGSTER_PG_PASSWORD": DB["password"],
        "DAGSTER_PG_DB": DB["name"],
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
            yield instance


def query(postgres: PostgresServer, sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg2.connect(**postgres.connect_args(DB["name"], DB["user"], DB["password"])) as con:
        with con.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()


def test_instance_stores_in_postgres_queues_runs_monitors_and_retries(instance):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    # The warehouse pool (and any other) takes one step at a time, as in dagster_home/dagster.yaml.
    assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    assert instance.run_monitoring_enabled
    assert instance.run_monitoring_start_timeout_seconds == 300
    assert instance.run_monitoring_max_runtime_seconds == 14400
    assert instance.run_retries_enabled and instance.run_retries_max_retries == 2
    assert not instance.run_retries_retry_on_asset_or_op_failure


def test_a_materialization_lands_in_postgres(instance, postgres, definitions, tmp_path):
    landing = tmp_path / "landing"
    call = {"event_type": "call", "contact_id": "c-1", "rep_id": "r-1", "direction": "outbound",
            "outcome": "connected"}  # fmt: skip
    write_jsonl(
        landing / "day1.jsonl",
        [{**call, "event_id": "a", "occurred_at": "2025-01-05T10:00:00Z"},
         {**call, "event_id": "b", "occurred_at": "2025-01-06T10:00:00Z"},
         "not json"],
    )  # fmt: skip
    job = definitions.resolve_job_def("refresh_sales_metrics")
    # The loader alone (no quality checks, no dbt): what is tested here is where Dagster stores.
    loader_only = job.get_subset(asset_selection=set(RAW_KEYS), asset_check_selection=set())
    resources = {"warehouse": warehouse_settings(landing, tmp_path / "warehouse.duckdb")}
    result = loader_only.execute_in_process(instance=instance, resources=resources)
    assert result.success
    run_id = result.run_id

    # The run, in the run storage's table.
    assert query(postgres, "select pipeline_name, status from runs where run_id = %s", (run_id,)) == [
        ("refresh_sales_metrics", "SUCCESS")
    ]
    # Its events, in the event log's table: what Dagster reads back is exactly what PostgreSQL holds.
    types = query(
        postgres, "select dagster_event_type from event_logs where run_id = %s order by id", (run_id,)
    )
    types = [t for (t,) in types if t]
    assert types.index("PIPELINE_START") < types.index("ASSET_MATERIALIZATION")
    assert types.count("ASSET_MATERIALIZATION") == len(RAW_KEYS)
    assert types[-1] == "PIPELINE_SUCCESS"  # RUN_SUCCESS, under its stored name
    stored = instance.get_records_for_run(run_id, limit=10_000).records
    assert len(query(postgres, "select id from event_logs where run_id = %s", (run_id,))) == len(stored)
    # One materialization per raw table, keyed by asset, with the load's counts in its metadata.
    materialized = query(
        postgres,
        "select asset_key, event from event_logs where run_id = %s "
        "and dagster_event_type = 'ASSET_MATERIALIZATION' order by asset_key",
        (run_id,),
    )
    assert [key for key, _ in materialized] == sorted(key.to_string() for key in RAW_KEYS)
    for _, body in materialized:
        metadata = deserialize_value(body, EventLogEntry).asset_materialization.metadata
        counts = [metadata[name].value for name in ("rows_read", "rows_accepted", "rows_rejected")]
        assert counts == [3, 2, 1]
    latest = instance.get_latest_materialization_event(dg.AssetKey(["raw", "sales_events"]))
    assert latest.run_id == run_id
    assert query(
        postgres, "select count(*) from asset_keys where asset_key = %s", (RAW_KEYS[0].to_string(),)
    ) == [(1,)]
    # The loader's step took the one slot of the warehouse pool, in PostgreSQL, and gave it back.
    assert query(postgres, 'select concurrency_key, "limit" from concurrency_limits') == [
        ("duckdb_warehouse", 1)
    ]
    assert query(
        postgres, "select run_id from concurrency_slots where concurrency_key = 'duckdb_warehouse'"
    ) == [(None,)]


def test_service_files_agree_with_each_other():
    """The units, the workspace, the environment file and the instance name the same things."""
    instance_env = set(re.findall(r"env: (\w+)", (DEPLOY / "dagster.yaml").read_text()))
    assert instance_env == {f"DAGSTER_PG_{k}" for k in ("HOST", "PORT", "USER", "PASSWORD", "DB")}
    env_file = (DEPLOY / "dagster.env.example").read_text()
    defined = set(re.findall(r"^(\w+)=", env_file, flags=re.M))
    assert instance_env | {"DAGSTER_HOME"} <= defined

    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())["load_from"]
    server = workspace[0]["grpc_server"]
    location = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["dagster"][
        "code_location_name"
    ]
    assert server["location_name"] == location

    units = {p.stem: p.read_text() for p in (DEPLOY / "systemd").glob("*.service")}
    servers = {"dagster-code-server": "dagster_project.definitions",
               "dagster-history-code-server": "dagster_project.history_definitions"}  # fmt: skip
    assert set(units) == {*servers, "dagster-daemon", "dagster-webserver"}
    assert len(workspace) == len(servers)
    for entry, (name, module) in zip(workspace, servers.items(), strict=True):
        grpc = entry["grpc_server"]
        assert (
            f"--port {grpc['port']}" in units[name]
            and f"--location-name {grpc['location_name']}" in units[name]
        )
        assert f"--module-name {module}" in units[name]
    for name in ("dagster-daemon", "dagster-webserver"):
        assert "--workspace /opt/sales-metrics/deploy/workspace.yaml" in units[name]
        assert all(f"{server}.service" in units[name] for server in servers)
    for text in units.values():
        assert "EnvironmentFile=/etc/sales-metrics/dagster.env" in text
        assert "PASSWORD" not in text  # secrets only through the environment file
