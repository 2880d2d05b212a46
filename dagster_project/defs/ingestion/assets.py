"""The raw layer as Dagster assets: one multi-asset loads new landing files into three tables."""

import dagster as dg
import duckdb

from dagster_project.lib.warehouse import table_metadata
from dagster_project.settings import WAREHOUSE_POOL, Settings

from .loader import FileResult, load_landing_dir

RAW_TABLES = {
    "sales_events": "Accepted rows of the landing files, typed, one row per delivered row.",
    "rejected_events": "Rows refused by validation, with their file, position, raw text and reason.",
    "loaded_files": "Ledger of every file seen: rows read = accepted + rejected, or failed with its error.",
}


def _summary(results: list[FileResult]) -> dict[str, int]:
    loaded = [r for r in results if r.status == "loaded"]
    return {
        "files_seen": len(results),
        "files_loaded": len(loaded),
        "files_skipped": sum(r.status == "skipped" for r in results),
        "files_failed": sum(r.status == "failed" for r in results),
        "rows_read": sum(r.rows_read for r in loaded),
        "rows_accepted": sum(r.rows_accepted for r in loaded),
        "rows_rejected": sum(r.rows_rejected for r in loaded),
    }


def _files_table(results: list[FileResult]) -> str:
    lines = ["| file | status | read | accepted | rejected | error |", "|---|---|---|---|---|---|"]
    for r in results:
        if r.status != "skipped":
            error = (r.error or "").splitlines()[0][:120] if r.error else ""
            lines.append(
                f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_accepted} | {r.rows_rejected} | {error} |"
            )
    return "\n".join(lines) if len(lines) > 2 else "_no new files_"


@dg.multi_asset(
    name="raw_ingestion",
    specs=[
        dg.AssetSpec(["raw", table], description=description, group_name="raw", kinds={"duckdb"})
        for table, description in RAW_TABLES.items()
    ],
    pool=WAREHOUSE_POOL,
    description="Load every new *.jsonl, *.csv and *.parquet file of SALES_LANDING_DIR into the raw layer.",
)
def raw_ingestion(context: dg.AssetExecutionContext):
    settings = Settings.from_env()
    context.log.info(f"Scanning {settings.landing_dir} into {settings.warehouse}")

    def report(index: int, total: int, result: FileResult) -> None:
        if result.status == "skipped":
            context.log.debug(f"[{index}/{total}] {result.source_file}: already loaded, skipped")
        elif result.status == "failed":
            context.log.error(f"[{index}/{total}] {result.source_file}: FAILED: {result.error}")
        else:
            context.log.info(
                f"[{index}/{total}] {result.source_file}: {result.rows_read} rows read, "
                f"{result.rows_accepted} accepted, {result.rows_rejected} rejected"
            )

    results = load_landing_dir(settings.landing_dir, settings.warehouse, context.run_id, on_file=report)
    summary = _summary(results)
    context.log.info(f"Ingestion summary: {summary}")

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for table in RAW_TABLES:
            metadata = table_metadata(con, "raw", table)
            metadata.update({k: dg.MetadataValue.int(v) for k, v in summary.items()})
            if table == "loaded_files":
                metadata["files_this_run"] = dg.MetadataValue.md(_files_table(results))
            yield dg.MaterializeResult(asset_key=["raw", table], metadata=metadata)


defs = dg.Definitions(assets=[raw_ingestion])
