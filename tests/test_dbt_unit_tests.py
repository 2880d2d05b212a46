"""dbt's own unit tests (`unit_tests:` in the models' .yml): every metric rule on tiny inputs.

Pipeline runs skip them (they test SQL, not data); here they run against an empty warehouse
whose tables give dbt the column types.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.lib.ingestion.raw_schema import ensure_raw_schema
from dagster_project.lib.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def dbt(*args: str, warehouse: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SALES_WAREHOUSE": str(warehouse)}
    return subprocess.run(
        [DBT, *args, "--profiles-dir", ".", "--target-path", str(warehouse.parent / "target")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
    built = dbt("run", "--empty", warehouse=warehouse)
    assert built.returncode == 0, built.stdout[-3000:]

    result = dbt("test", "--select", "test_type:unit", warehouse=warehouse)
    assert result.returncode == 0, result.stdout[-5000:]
    summary = [line for line in result.stdout.splitlines() if "Done. PASS=" in line]
    passed = int(summary[-1].split("PASS=")[1].split()[0])
    assert passed >= 20, summary  # one or more per metric, plus staging and the facts
