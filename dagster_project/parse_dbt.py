"""`python -m dagster_project.parse_dbt`: parse the dbt project (dbt/target: the manifest Dagster loads
and dbt's partial-parse state) with the vars this environment's runs pass to `dbt build`. dbt reuses
a parse only under the same vars and profile: parsed without them, the first build after `make`
parsed the whole project again (about 3 s). `make` runs this whenever a dbt file changes."""

import json
import subprocess
import sys
from pathlib import Path

from dagster_project.defs.dbt.run_vars import environment_run_vars
from dagster_project.lib.settings import DBT_PROJECT_DIR


def main() -> None:
    _, target, variables = environment_run_vars()
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
