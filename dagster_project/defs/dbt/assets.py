"""The dbt models (staging, intermediate, marts) as Dagster assets, built with `dbt build`."""

import time
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.defs.planning.resources import PlanningResource
from dagster_project.defs.resources import WAREHOUSE_POOL, EngineResource, WarehouseResource
from dagster_project.lib.dbt_build import (
    LAST_MART,
    build_fingerprint,
    build_state,
    build_story,
    clear_build_marker,
    dbt_build_args,
    full_refresh_reason,
    keep_parse_state,
    last_complete_build,
    missing_from_build,
    write_build_marker,
)
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.metadata import dbt_table_metadata
from dagster_project.lib.run_log import STORY
from dagster_project.lib.serving.publish import published_build
from dagster_project.lib.spark.mirror import mirror_exported_models
from data_quality.preload import import_gx_in_background

from .run_vars import run_vars
from .translator import SalesDbtTranslator

FINGERPRINT_KEY = "build_fingerprint"
LAST_MART_KEY = dg.AssetKey(list(LAST_MART))


def _stream_with_table_metadata(context: dg.AssetExecutionContext, invocation) -> Iterator:
    """dagster-dbt's events of the build as dbt reports each node, every model's with the row count,
    columns and preview its post-hook logged just before (dbt/macros/table_metadata.sql)."""
    reported: dict[tuple, dict] = {}
    for message in invocation.stream_raw_events():
        table = dbt_table_metadata(message.raw_event["info"].get("msg", ""))
        if table:
            relation, metadata = table
            reported[relation] = metadata
            continue
        for event in message.to_default_asset_events(
            manifest=invocation.manifest,
            dagster_dbt_translator=invocation.dagster_dbt_translator,
            context=context,
            target_path=invocation.target_path,
            project=invocation.project,
        ):
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                event = event.with_metadata({**event.metadata, **reported.pop(tuple(key.path), {})})
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
    last = last_complete_build(settings.warehouse, manifest)
    complete = not context.is_subset and fingerprint and last and fingerprint == last.fingerprint
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
    args = dbt_build_args(variables) + target.cli_args()
    if not target.is_spark:  # Spark builds every model in full (dbt/macros/incremental.sql)
        args += _incremental_or_full(context, last.state if last else None, state)
    clear_build_marker(settings.warehouse)  # from here until the marker is back, the marts may be mixed
    context.log.debug(f"dbt {' '.join(args)}")
    started = time.monotonic()
    # The GX checks after this step import GX meanwhile, on the core dbt's start-up leaves free.
    import_gx_in_background()
    # Each model's materialization is recorded as dbt reports it, while the build goes on.
    invocation = dbt.cli(args, context=context)
    events = []
    for event in _stream_with_table_metadata(context, invocation):
        events.append(event)
        yield event
    keep_parse_state(invocation.target_path, dbt_project().project_dir)
    context.log.info(build_story(events, time.monotonic() - started), extra=STORY)
    if target.is_spark:  # Spark's models, exported as Parquet, become views of the warehouse
        mirrored = mirror_exported_models(settings.warehouse, target.export_dir)
        context.log.info(f"{len(mirrored)} models built by Spark, read through views of the warehouse")
    fingerprint = _mark_complete_build(context, invocation, settings.warehouse, variables, state, fingerprint)
    if fingerprint:  # for the UI; the marker in the warehouse decides the skip
        yield dg.AssetObservation(
            asset_key=LAST_MART_KEY,
            description="A complete build of every model: the next run skips dbt while this holds.",
            metadata={FINGERPRINT_KEY: dg.MetadataValue.text(fingerprint)},
        )


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
    context: dg.AssetExecutionContext, invocation, warehouse, variables, state: dict, fingerprint: str | None
) -> str | None:
    """Write the marker that lets the next run skip, only if this invocation built every model of the
    project with this run's vars (lib/dbt_build.py); return the fingerprint it holds: that of the
    inputs the build started from (taken before it; on a first build, when there were no marts to
    fingerprint yet, now: nothing else writes the warehouse while the build holds its pool)."""
    manifest = dbt_project().manifest_path
    problems = missing_from_build(invocation.get_artifact("run_results.json"), variables, manifest)
    fingerprint = fingerprint or build_fingerprint(warehouse, variables, manifest)
    if context.is_subset or problems or not fingerprint:
        context.log.warning(
            "Not a complete build of every model with this run's vars: the next run builds again. "
            + "; ".join(problems[:5])
        )
        return None
    write_build_marker(warehouse, fingerprint, variables, context.run_id, state)
    return fingerprint
