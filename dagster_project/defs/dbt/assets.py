"""The dbt models (staging, intermediate, marts) as Dagster assets, built with `dbt build`."""

import time
from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.planning.resources import PlanningResource
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.dbt_build import LAST_MART, build_fingerprint, build_story, dbt_build_args, dbt_vars
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.metadata import table_metadata
from dagster_project.lib.run_log import STORY

from .translator import SalesDbtTranslator

FINGERPRINT_KEY = "build_fingerprint"
LAST_MART_KEY = dg.AssetKey(list(LAST_MART))


def last_fingerprint(instance: dg.DagsterInstance) -> str | None:
    """The fingerprint of the last complete build, kept in the metadata of its last mart."""
    event = instance.get_latest_materialization_event(LAST_MART_KEY)
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(FINGERPRINT_KEY)
    return value.value if value is not None else None


def _with_table_metadata(context: dg.AssetExecutionContext, events: list, warehouse, fingerprint) -> Iterator:
    """Add row counts and previews to the models' events once dbt has released the DuckDB file, and
    the build's fingerprint to the last mart (only a complete build is reused by the next run)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                schema, table = key.path
                metadata = {**event.metadata}
                try:
                    metadata.update(table_metadata(con, schema, table))
                except duckdb.CatalogException:
                    pass  # a model that is not a table (ephemeral) has nothing to count
                if key == LAST_MART_KEY and fingerprint and not context.is_subset:
                    metadata[FINGERPRINT_KEY] = dg.MetadataValue.text(fingerprint)
                event = event.with_metadata(metadata)
            yield event


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=SalesDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def sales_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    planning: PlanningResource,
):
    settings = warehouse.settings()
    planning_vars = planning.settings().dbt_vars()
    variables = {**dbt_vars(settings), **planning_vars}
    fingerprint = build_fingerprint(settings.warehouse, variables, dbt_project().manifest_path)
    if not context.is_subset and fingerprint and fingerprint == last_fingerprint(context.instance):
        context.log.info(
            "dbt: nothing changed since the last complete build (no new rows, same vars, same dbt "
            "project): build skipped, the marts are up to date.",
            extra=STORY,
        )
        return
    args = dbt_build_args(settings, planning_vars)
    context.log.debug(f"dbt {' '.join(args)}")
    started = time.monotonic()
    # dbt holds the DuckDB file while it builds: collect its events, then read the tables.
    events = list(dbt.cli(args, context=context).stream())
    context.log.info(build_story(events, time.monotonic() - started), extra=STORY)
    fingerprint = build_fingerprint(settings.warehouse, variables, dbt_project().manifest_path)
    yield from _with_table_metadata(context, events, settings.warehouse, fingerprint)
