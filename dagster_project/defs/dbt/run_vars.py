"""The dbt vars of a run's build, from the resources: one place for the build (assets.py) and for the
parse made ahead of it (dagster_project/parse_dbt.py), whose state dbt reuses only under the same vars."""

from dagster_project.defs.planning.resources import PlanningResource
from dagster_project.defs.resources import EngineResource, WarehouseResource
from dagster_project.lib.dbt_target import DbtTarget
from dagster_project.lib.settings import Settings


def run_vars(
    warehouse: WarehouseResource, planning: PlanningResource, engine: EngineResource
) -> tuple[Settings, DbtTarget, dict]:
    """The run's settings, its dbt target and the vars beside lib/dbt_build.py's `dbt_vars` (the
    fiscal calendar, the Spark targets' folders), before the target's preparation adds its own."""
    settings = warehouse.settings()
    target = engine.target(settings)
    return settings, target, {**planning.settings().dbt_vars(), **target.dbt_vars()}
