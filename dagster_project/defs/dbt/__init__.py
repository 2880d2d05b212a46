import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.lib.dbt_project import dbt_project

from .assets import sales_dbt_models

defs = dg.Definitions(
    assets=[sales_dbt_models],
    # The dbt beside this Python, so the venv needs no activation.
    resources={
        "dbt": DbtCliResource(
            project_dir=dbt_project(), dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
