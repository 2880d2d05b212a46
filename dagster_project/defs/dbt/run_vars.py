"""The dbt vars of a run's build, from the resources: one place for the build (assets.py) and for the
parse made ahead of it (dagster_project/parse_dbt.py), whose state dbt reuses only under the same vars."""

import dagster as dg

from dagster_project.defs.planning.resources import PlanningResource, planning_resource
from dagster_project.defs.resources import (
    EngineResource,
    WarehouseResource,
    engine_resource,
    warehouse_resource,
)
from dagster_project.lib.dbt_build import dbt_vars
from dagster_project.lib.dbt_target import DbtTarget
from dagster_project.lib.settings import Settings


def run_vars(
    warehouse: WarehouseResource, planning: PlanningResource, engine: EngineResource
) -> tuple[Settings, DbtTarget, dict]:
    """The run's settings, its dbt target and its dbt vars (lib/dbt_build.py's `dbt_vars`, the fiscal
    calendar, the Spark targets' folders), before the target's preparation adds its own."""
    settings = warehouse.settings()
    target = engine.target(settings)
    return settings, target, {**dbt_vars(settings), **planning.settings().dbt_vars(), **target.dbt_vars()}


def environment_run_vars() -> tuple[Settings, DbtTarget, dict]:
    """`run_vars` outside a run: the resources with this process's environment's values, resolved as
    a run resolves them."""
    resources = {
        "warehouse": warehouse_resource(),
        "planning": planning_resource(),
        "engine": engine_resource(),
    }
    with dg.build_resources(resources) as built:
        return run_vars(built.warehouse, built.planning, built.engine)
