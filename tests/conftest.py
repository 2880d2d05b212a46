"""Shared fixtures: real DuckDB files in temporary folders and real in-process Dagster runs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest


def pytest_configure(config) -> None:
    """Rebuild the dbt manifest before anything loads the definitions, when a dbt file is newer."""
    from dagster_project.defs.dbt.project import dbt_project, prepare
    from dagster_project.settings import DBT_PROJECT_DIR

    project = dbt_project()
    sources = [
        p for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in {".sql", ".yml"} and "target" not in p.parts
    ]
    if max(p.stat().st_mtime for p in sources) > project.manifest_path.stat().st_mtime:
        prepare(project)


@contextmanager
def pipeline_env(**values: str | None) -> Iterator[None]:
    """Set (or unset, for None) the pipeline's environment variables for the duration of a block."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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
        serving_dir = serving_dir or warehouse.parent / "serving"
        with pipeline_env(
            SALES_LANDING_DIR=str(landing_dir),
            SALES_WAREHOUSE=str(warehouse),
            SALES_SERVING_DIR=str(serving_dir),
            SALES_AS_OF=as_of,
        ):
            job = definitions.resolve_job_def("refresh_sales_metrics")
            return job.execute_in_process(instance=dagster_instance, raise_on_error=raise_on_error)

    return run


def write_jsonl(path: Path, rows: list[dict | str]) -> Path:
    """Write rows (dicts, or raw strings for malformed lines) as JSON Lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
