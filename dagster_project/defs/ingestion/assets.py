"""The raw layer as Dagster assets: one multi-asset loads new landing files into three tables."""

import dagster as dg
import duckdb

from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.ingestion.loader import FileResult, load_landing_dir, load_options, summarize
from dagster_project.lib.metadata import files_markdown, table_metadata

RAW_TABLES = {
    "sales_events": "Accepted rows of the landing files, typed, one row per delivered row.",
    "rejected_events": "Rows refused by validation, with their file, position, raw text and reason.",
    "loaded_files": "Ledger of every file seen: rows read = accepted + rejected, or failed with its error.",
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
        )
        for table, description in RAW_TABLES.items()
    ],
    pool=WAREHOUSE_POOL,
    description="Load every new *.jsonl, *.csv and *.parquet file of SALES_LANDING_DIR into the raw layer.",
)
def raw_ingestion(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    settings = warehouse.settings()
    context.log.info(f"Scanning {settings.landing_dir} into {settings.warehouse}")

    def report(index: int, total: int, result: FileResult) -> None:
        if result.status == "skipped" and result.error:  # not read: a link out, or still being written
            context.log.warning(f"[{index}/{total}] {result.source_file}: skipped: {result.error}")
        elif result.status == "skipped":
            context.log.debug(f"[{index}/{total}] {result.source_file}: already loaded, skipped")
        elif result.status == "failed":
            context.log.error(f"[{index}/{total}] {result.source_file}: FAILED: {result.error}")
        else:
            context.log.info(
                f"[{index}/{total}] {result.source_file}: {result.rows_read} rows read, "
                f"{result.rows_accepted} accepted, {result.rows_rejected} rejected"
            )

    results = load_landing_dir(
        settings.landing_dir, settings.warehouse, context.run_id, on_file=report, **load_options(settings)
    )
    summary = summarize(results)
    context.log.info(f"Ingestion summary: {summary}")

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table in RAW_TABLES:
            metadata = table_metadata(con, "raw", table)
            metadata.update({k: dg.MetadataValue.int(v) for k, v in summary.items()})
            if table == "loaded_files":
                metadata["files_this_run"] = files_markdown(results)
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)


defs = dg.Definitions(assets=[raw_ingestion])
