"""Serving as Dagster assets: thin wrappers over lib/serving/publish.py and lib/report (docs/bi.md)."""

import dagster as dg
import duckdb

from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.metrics_catalog import METRIC_KEYS
from dagster_project.lib.report.build import headlines_markdown, publish_with_report, write_report
from dagster_project.lib.run_log import STORY

# Downstream of the ten metric marts and the long table, so nothing is published in a run whose
# marts were not rebuilt (the raw gate holds them on a bad load). The tables published are
# whatever the warehouse's `marts` schema holds.
MART_KEYS = [dg.AssetKey(["marts", key]) for key in (*METRIC_KEYS, "metric_values")]


def _timestamp(value) -> dg.MetadataValue:
    return dg.MetadataValue.text(f"{value:%Y-%m-%d %H:%M:%S} UTC" if value else "unknown")


@dg.asset(
    key=["serving", "published_marts"],
    deps=MART_KEYS,
    pool=WAREHOUSE_POOL,  # it reads the warehouse file
    group_name="serving",
    owners=DATA_ENGINEERING,
    kinds={"duckdb", "parquet"},
    description=(
        "Every table of the warehouse's `marts` schema as a new Parquet snapshot under SALES_SERVING_DIR "
        "(a run with SALES_AS_OF: under its as_of/<date>/ folder), switched to atomically; sales.duckdb "
        "there holds the views BI tools open read-only."
    ),
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    # A run with as_of publishes beside the live output, never over it (docs/contract.md, "Settings").
    result = publish_with_report(settings.warehouse, settings.publish_dir, run_id=context.run_id)
    context.log.info(
        f"Published {len(result.row_counts)} tables for BI tools: {result.serving_db}"
        + (" (rebuilt: the tables changed)" if result.serving_db_rebuilt else ""),
        extra=STORY,
    )
    if result.late_switch:
        context.log.warning("The snapshot appeared after its publish instant: raise the switch margin.")
    counts = "\n".join(
        ["| table | rows |", "|---|---|"]
        + [f"| marts.{t} | {n:,} |" for t, n in sorted(result.row_counts.items())]
    )
    return dg.MaterializeResult(
        metadata={
            "snapshot": dg.MetadataValue.path(str(result.snapshot.path)),
            "published_at": _timestamp(result.snapshot.published_at),
            "serving_db": dg.MetadataValue.path(str(result.serving_db)),
            "serving_db_rebuilt": dg.MetadataValue.bool(result.serving_db_rebuilt),
            "row_counts": dg.MetadataValue.md(counts),
            "tables": dg.MetadataValue.int(len(result.row_counts)),
            "dagster/row_count": dg.MetadataValue.int(sum(result.row_counts.values())),
            "duckdb_version": dg.MetadataValue.text(duckdb.__version__),
            "as_of": _timestamp(result.freshness.as_of),
            "latest_occurred_at": _timestamp(result.freshness.latest_occurred_at),
            "latest_loaded_at": _timestamp(result.freshness.latest_loaded_at),
            "pruned_snapshots": dg.MetadataValue.int(len(result.pruned)),
        }
    )


@dg.asset(
    key=["serving", "metrics_report"],
    deps=[published_marts],
    group_name="serving",
    owners=DATA_ENGINEERING,
    kinds={"html"},
    description=(
        "Self-contained HTML page (opens offline) of the ten metrics by month, by rep and by lead source, "
        "built from the snapshot this run published: report/index.html beside its sales.duckdb."
    ),
)
def metrics_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    settings = warehouse.settings()
    report = write_report(settings.publish_dir)
    context.log.info(f"Report: {report.path}", extra=STORY)
    return dg.MaterializeResult(
        metadata={
            "report": dg.MetadataValue.url(report.path.as_uri()),
            "report_path": dg.MetadataValue.path(str(report.path)),
            "snapshot": dg.MetadataValue.text(report.snapshot.name),
            "as_of": _timestamp(report.context.as_of),
            "latest_values": dg.MetadataValue.md(headlines_markdown(report.headlines)),
        }
    )


defs = dg.Definitions(assets=[published_marts, metrics_report])
