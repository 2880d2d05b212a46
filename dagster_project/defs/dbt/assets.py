"""The dbt models (staging, intermediate, marts) as Dagster assets, built with `dbt build`."""

import time
from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.planning.resources import PlanningResource
from dagster_project.defs.resources import WAREHOUSE_POOL, EngineResource, WarehouseResource
from dagster_project.lib.dbt_build import (
    LAST_MART,
    build_fingerprint,
    build_state,
    build_story,
    clear_build_marker,
    complete_build_fingerprint,
    complete_build_state,
    dbt_build_args,
    full_refresh_reason,
    keep_parse_state,
    missing_from_build,
    write_build_marker,
)
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.metadata import table_metadata
from dagster_project.lib.run_log import STORY
from dagster_project.lib.serving.publish import published_build
from dagster_project.lib.spark.mirror import mirror_exported_models
from data_quality.preload import import_gx_in_background

from .run_vars import run_vars
from .translator import SalesDbtTranslator

FINGERPRINT_KEY = "build_fingerprint"
LAST_MART_KEY = dg.AssetKey(list(LAST_MART))


def _with_table_metadata(context: dg.AssetExecutionContext, events: list, warehouse, fingerprint) -> Iterator:
    """Add row counts and previews to the models' events once dbt has released the DuckDB file, and
    the fingerprint of a complete build to the last mart (for the UI: the marker in the warehouse
    decides the skip)."""
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
    # Ready together with the raw layer's GX checks, the build goes first: GX is then imported while
    # dbt starts (data_quality/preload.py), and every check step after it finds GX imported.
    op_tags={"dagster/priority": 1},
)
def sales_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    planning: PlanningResource,
    engine: EngineResource,
):
    settings, target, variables = run_vars(warehouse, planning, engine)
    variables |= target.prepare_build()
    manifest = dbt_project().manifest_path
    fingerprint = build_fingerprint(settings.warehouse, variables, manifest)
    complete = (
        not context.is_subset
        and fingerprint
        and fingerprint == complete_build_fingerprint(settings.warehouse, manifest)
    )
    if complete and fingerprint == published_build(settings.publish_dir):
        context.log.info(
            "dbt: nothing changed since the last complete build (no new rows, same vars, same dbt "
            "project): build skipped, the marts are up to date.",
            extra=STORY,
        )
        return
    if complete:  # built, but its publish did not finish (a crash): build again, so that it is published
        context.log.warning(
            "The last complete build was not published: dbt builds again, and the run publishes it."
        )
    state = build_state(settings.warehouse, variables, manifest)
    args = dbt_build_args(settings, variables) + target.cli_args()
    if not target.is_spark:  # Spark builds every model in full (dbt/macros/incremental.sql)
        args += _incremental_or_full(context, complete_build_state(settings.warehouse, manifest), state)
    clear_build_marker(settings.warehouse)  # from here until the marker is back, the marts may be mixed
    context.log.debug(f"dbt {' '.join(args)}")
    started = time.monotonic()
    # The GX checks after this step import GX meanwhile, on the core dbt's start-up leaves free.
    import_gx_in_background()
    # dbt holds the DuckDB file while it builds: collect its events, then read the tables.
    invocation = dbt.cli(args, context=context)
    events = list(invocation.stream())
    keep_parse_state(invocation.target_path, dbt_project().project_dir)
    context.log.info(build_story(events, time.monotonic() - started), extra=STORY)
    if target.is_spark:  # Spark's models, exported as Parquet, become views of the warehouse
        mirrored = mirror_exported_models(settings.warehouse, target.export_dir)
        context.log.info(f"{len(mirrored)} models built by Spark, read through views of the warehouse")
    fingerprint = _mark_complete_build(context, invocation, settings.warehouse, variables, state)
    yield from _with_table_metadata(context, events, settings.warehouse, fingerprint)


def _incremental_or_full(context: dg.AssetExecutionContext, previous: dict | None, state: dict) -> list[str]:
    """`--full-refresh` when the last complete build cannot be continued (lib/dbt_build.py), said in
    the run's story either way."""
    reason = full_refresh_reason(previous, state)
    if reason:
        context.log.info(f"dbt: full refresh, every model from all history: {reason}.", extra=STORY)
        return ["--full-refresh"]
    context.log.info(
        f"dbt: incremental build: the loads after {previous['newest_load_id']} (up to "
        f"{state['newest_load_id']}) and the contacts and offers their events touch.",
        extra=STORY,
    )
    return []


def _mark_complete_build(
    context: dg.AssetExecutionContext, invocation, warehouse, variables, state: dict
) -> str | None:
    """Write the marker that lets the next run skip, only if this invocation built every model of the
    project with this run's vars (lib/dbt_build.py); return the fingerprint it holds."""
    manifest = dbt_project().manifest_path
    problems = missing_from_build(invocation.get_artifact("run_results.json"), variables, manifest)
    fingerprint = build_fingerprint(warehouse, variables, manifest)
    if context.is_subset or problems or not fingerprint:
        context.log.warning(
            "Not a complete build of every model with this run's vars: the next run builds again. "
            + "; ".join(problems[:5])
        )
        return None
    write_build_marker(warehouse, fingerprint, variables, context.run_id, state)
    return fingerprint
