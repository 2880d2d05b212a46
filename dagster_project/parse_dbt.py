"""`python -m dagster_project.parse_dbt`: parse the dbt project (dbt/target: the manifest Dagster loads
and dbt's partial-parse state) with the vars this environment's runs pass to `dbt build`. dbt reuses
a parse only under the same vars and profile: parsed without them, the first build after `make`
parsed the whole project again (about 3 s). `make` runs this whenever a dbt file changes."""

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg

from dagster_project.defs.dbt.run_vars import run_vars
from dagster_project.defs.planning.resources import planning_resource
from dagster_project.defs.resources import engine_resource, warehouse_resource
from dagster_project.lib.dbt_build import dbt_vars
from dagster_project.lib.settings import DBT_PROJECT_DIR


def main() -> None:
    resources = {
        "warehouse": warehouse_resource(),
        "planning": planning_resource(),
        "engine": engine_resource(),
    }
    with dg.build_resources(resources) as built:  # the environment's values, as a run resolves them
        settings, target, more_vars = run_vars(built.warehouse, built.planning, built.engine)
    variables = {**dbt_vars(settings), **more_vars}
    dbt = Path(sys.executable).parent / "dbt"  # the dbt beside this Python, as the build's
    subprocess.run(
        [
            str(dbt),
            "parse",
            "--quiet",
            "--profiles-dir",
            ".",
            "--vars",
            json.dumps(variables),
            *target.cli_args(),
        ],
        cwd=DBT_PROJECT_DIR,
        check=True,
    )


if __name__ == "__main__":
    main()
