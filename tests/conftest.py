"""Shared fixtures: real DuckDB files in temporary folders and real in-process Dagster runs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pytest


def pytest_configure(config) -> None:
    """Rebuild the dbt manifest before anything loads the definitions, when a dbt file is newer."""
    from dagster_project.lib.dbt_project import dbt_project, prepare
    from dagster_project.lib.settings import DBT_PROJECT_DIR

    project = dbt_project()
    sources = [
        p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in {".sql", ".yml"} and "target" not in p.parts
    ]
    if max(p.stat().st_mtime for p in sources) > project.manifest_path.stat().st_mtime:
        prepare(project)


@pytest.fixture(scope="session")
def definitions() -> dg.Definitions:
    from dagster_project.definitions import defs

    return defs


@pytest.fixture(scope="session")
def dagster_instance(tmp_path_factory) -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test(temp_dir=str(tmp_path_factory.mktemp("dagster_home"))) as instance:
        yield instance


@pytest.fixture
def run_pipeline(definitions, dagster_instance) -> Callable[..., dg.ExecuteInProcessResult]:
    """Materialize the whole asset graph in-process, like a scheduled run, over the given folders."""

    def run(
        landing_dir: Path,
        warehouse: Path,
        as_of: str | None = None,
        serving_dir: Path | None = None,
        raise_on_error: bool = True,
    ) -> dg.ExecuteInProcessResult:
        resource = warehouse_settings(landing_dir, warehouse, as_of=as_of, serving_dir=serving_dir)
        job = definitions.resolve_job_def("refresh_sales_metrics")
        return job.execute_in_process(
            instance=dagster_instance, raise_on_error=raise_on_error, resources={"warehouse": resource}
        )

    return run


def warehouse_settings(
    landing_dir: Path, warehouse: Path, as_of: str | None = None, serving_dir: Path | None = None, **more: str
):
    """The warehouse resource of a test run: its own folders, everything else at its default."""
    from dagster_project.defs.resources import WarehouseResource

    return WarehouseResource(
        landing_dir=str(landing_dir),
        warehouse=str(warehouse),
        serving_dir=str(serving_dir or warehouse.parent / "serving"),
        as_of=as_of or "",
        **more,
    )


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    """Write rows (dicts, or raw strings for malformed lines) as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def hostile_clean_run(tmp_path_factory, definitions, dagster_instance):
    """One uninterrupted run of the whole graph over a small demo export plus the hostile rows of
    tests/hostile_data.py: the extremes test checks it, the crash tests compare their marts with it."""
    import subprocess
    import sys
    from datetime import UTC, datetime

    from tests.hostile_data import write_hostile_landing

    root = tmp_path_factory.mktemp("hostile_clean")
    landing = root / "landing"
    write_hostile_landing(landing, datetime.now(UTC).replace(tzinfo=None))
    subprocess.run(
        [sys.executable, "-m", "dagster_project.demo", "--out", str(landing / "demo"), "--contacts", "60",
         "--seed", "5", "--format", "jsonl"],
        check=True, capture_output=True,
    )  # fmt: skip
    job = definitions.resolve_job_def("refresh_sales_metrics")
    result = job.execute_in_process(
        instance=dagster_instance,
        raise_on_error=False,
        resources={"warehouse": warehouse_settings(landing, root / "warehouse.duckdb")},
    )
    return landing, root / "warehouse.duckdb", result
