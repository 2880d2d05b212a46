"""Release a held load from the Dagster UI (Launchpad: its load id and a note); the next run
builds its rows into the marts. The same as `python -m dagster_project.holds release LOAD_ID`."""

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.ingestion.gate import release


class ReleaseConfig(dg.Config):
    load_id: int
    note: str


@dg.op(pool=WAREHOUSE_POOL, description="Let a held load's rows into staging from the next run on.")
def release_load(context: dg.OpExecutionContext, config: ReleaseConfig, warehouse: WarehouseResource) -> None:
    hold = release(warehouse.settings().warehouse, config.load_id, f"{config.note} (run {context.run_id})")
    context.log.info(
        f"Released load {hold.load_id} ({hold.source_file}): its rows reach the marts in the next run."
    )


@dg.job(description="Release a load held out of the marts (over the reject limit), on purpose.")
def release_held_load():
    release_load()
