"""`python -m dagster_project.parse_dbt` parses the dbt project with the vars a run's build passes, so
that the build reuses the parse (dbt's partial parsing) instead of parsing the whole project again:
a real parse, then a real `dbt parse` with the build's vars, read from dbt's own JSON log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster_project.defs.dbt.run_vars import environment_run_vars
from dagster_project.lib.settings import DBT_PROJECT_DIR, REPO_ROOT


def build_vars(environ: dict[str, str]) -> tuple[dict, list[str]]:
    """The vars and target flags the dbt asset passes to `dbt build` under this environment."""
    saved = dict(os.environ)
    os.environ.update(environ)
    try:
        _, target, variables = environment_run_vars()
        return variables | target.prepare_build(), target.cli_args()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def parse_events(variables: dict, target_args: list[str], target_path: Path) -> set[str]:
    """The names of the events of a `dbt parse` with these vars, from the kept parse state."""
    target_path.mkdir(parents=True, exist_ok=True)
    kept = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    (target_path / kept.name).write_bytes(kept.read_bytes())  # as dagster-dbt starts each build
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--profiles-dir", ".", "--log-format", "json",
         "--log-level", "debug", "--target-path", str(target_path), "--vars", json.dumps(variables),
         *target_args],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:]
    return {json.loads(line)["info"]["name"] for line in done.stdout.splitlines() if line.startswith("{")}


def test_the_build_reuses_the_parse_made_with_its_vars(tmp_path):
    environ = {
        "SALES_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "SALES_LANDING_DIR": str(tmp_path / "in"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.parse_dbt"], cwd=REPO_ROOT, env={**os.environ, **environ},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    variables, target_args = build_vars(environ)

    reused = parse_events(variables, target_args, tmp_path / "build")
    assert "PartialParsingSkipParsing" in reused, sorted(reused)

    # The control: another warehouse is other vars, and dbt parses the whole project again.
    other = parse_events(
        {**variables, "warehouse": str(tmp_path / "other.duckdb")}, target_args, tmp_path / "other"
    )
    assert "UnableToPartialParse" in other and "PartialParsingSkipParsing" not in other
