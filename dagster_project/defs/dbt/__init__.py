import sys
from pathlib import Path

import dagster as dg

from dagster_project.defs.planning.resources import planning_resource
from dagster_project.lib.dbt_project import dbt_project

from .assets import sales_dbt_models
from .resource import SalesDbtCliResource

defs = dg.Definitions(
    assets=[sales_dbt_models],
    # The dbt beside this Python, so the venv needs no activation.
    resources={
        "dbt": SalesDbtCliResource(
            project_dir=dbt_project(), dbt_executable=str(Path(sys.executable).parent / "dbt")
        ),
        # The build needs the fiscal calendar (SALES_FISCAL_YEAR_START_MONTH); registered here so that
        # every graph with the dbt models has it (the planning assets use the same resource).
        "planning": planning_resource(),
    },
)
