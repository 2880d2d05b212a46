"""The raw layer as Dagster assets: one multi-asset loads new landing files into three tables."""

import dagster as dg
import duckdb

from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.resources import WAREHOUSE_POOL, EngineResource, WarehouseResource
from dagster_project.defs.sources import CRM_EVENT_KEYS
from dagster_project.lib.ingestion.gate import apply_gate
from dagster_project.lib.ingestion.loader import load_landing_dir, load_options, summarize
from dagster_project.lib.ingestion.progress import LoadProgress
from dagster_project.lib.metadata import files_markdown, holds_markdown, table_metadata
from dagster_project.lib.run_log import STORY

from .jobs import release_held_load

RAW_TABLES = {
    "sales_events": "Accepted rows of the landing files, typed, one row per delivered row.",
    "rejected_events": "Rows refused by validation, with their file, position, raw text and reason.",
    "loaded_files": "Ledger of every file seen: rows read = accepted + rejected, or failed with its error.",
    "load_holds": "Loads held out of staging (over the reject limit) until superseded or released.",
}


@dg.multi_asset(
    name="raw_ingestion",
    specs=[
        dg.AssetSpec(
            ["raw", table],
            description=description,
            group_name="raw",
            kinds={"duckdb"},
            owners=DATA_ENGINEERING,
            deps=CRM_EVENT_KEYS,
        )
        for table, description in RAW_TABLES.items()
    ],
    pool=WAREHOUSE_POOL,
    description="Load every new *.jsonl, *.csv and *.parquet file of SALES_LANDING_DIR into the raw layer.",
)
def raw_ingestion(context: dg.AssetExecutionContext, warehouse: WarehouseResource, engine: EngineResource):
    settings = warehouse.settings()
    target = engine.target(settings)
    lake_dir = target.lake_dir if target.is_spark else None  # Spark reads the events from the lake
    context.log.debug(f"Scanning {settings.landing_dir} into {settings.warehouse} (lake: {lake_dir})")
    progress = LoadProgress(
        say=lambda text: context.log.info(text, extra=STORY), warn=context.log.error, note=context.log.warning
    )
    results = load_landing_dir(
        settings.landing_dir,
        settings.warehouse,
        context.run_id,
        on_file=progress,
        lake_dir=lake_dir,
        **load_options(settings),
    )
    summary = summarize(results)
    context.log.info(progress.summary(results), extra=STORY)
    new_holds, holds = apply_gate(settings.warehouse, context.run_id, settings.max_reject_share)
    for hold in holds:
        log = context.log.error if hold in new_holds else context.log.warning
        log(("Held: " if hold in new_holds else "Still held: ") + hold.line(), extra=STORY)

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table in RAW_TABLES:
            metadata = table_metadata(con, "raw", table)
            metadata.update({k: dg.MetadataValue.int(v) for k, v in summary.items()})
            if table == "loaded_files":
                metadata["files_this_run"] = files_markdown(results)
            if table == "load_holds":
                metadata["active_holds"] = holds_markdown(holds)
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)


defs = dg.Definitions(assets=[raw_ingestion], jobs=[release_held_load])
