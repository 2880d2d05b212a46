"""The daily history of the published metric values, as its own code location
(dagster_project/history_definitions.py): a daily-partitioned asset in the main location would make
`dagster asset materialize --select '*'` (docs/contract.md) demand a partition."""

from datetime import date

import dagster as dg

from dagster_project.defs.owners import SALES_ANALYTICS
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.dbt_build import dbt_vars
from dagster_project.lib.history import TABLE, day_preview, days_kept, record_day
from dagster_project.lib.run_log import STORY

# One partition per day the values are "as of" (the day of the latest event counted), from a date
# before any data this project has seen; today's partition exists (end_offset=1).
daily = dg.DailyPartitionsDefinition(start_date="2020-01-01", end_offset=1, timezone="UTC")


@dg.asset(
    key=["history", "metric_values_daily"],
    deps=[dg.AssetKey(["marts", "metric_values"])],
    partitions_def=daily,
    pool=WAREHOUSE_POOL,
    group_name="history",
    owners=SALES_ANALYTICS,
    kinds={"duckdb"},
    description=(
        f"`{TABLE}`: marts.metric_values as published at the end of each day (as_of = that day's latest "
        "event), one partition per day. The day of the live build is copied from the marts; a past "
        "day (a backfill) is recomputed by dbt into scratch schemas, leaving the live marts alone."
    ),
)
def metric_values_daily(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    settings = warehouse.settings()
    day = date.fromisoformat(context.partition_key)
    snapshot = record_day(settings.warehouse, day, dbt_vars(settings), log=context.log.info)
    context.log.info(
        f"History {day}: {snapshot.rows:,} metric values {snapshot.how}"
        + (f" (as of {snapshot.as_of:%Y-%m-%d %H:%M:%S})" if snapshot.as_of else " (no event by then)")
        + f"; {days_kept(settings.warehouse)} day(s) kept.",
        extra=STORY,
    )
    preview = day_preview(settings.warehouse, day)
    return dg.MaterializeResult(
        metadata={
            "as_of": dg.MetadataValue.text(
                f"{snapshot.as_of:%Y-%m-%d %H:%M:%S}" if snapshot.as_of else "none"
            ),
            "how": dg.MetadataValue.text(snapshot.how),
            "dagster/row_count": dg.MetadataValue.int(snapshot.rows),
            "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "_no rows_"),
        }
    )


history_job = dg.define_asset_job(
    "record_metric_history",
    selection=[metric_values_daily],
    partitions_def=daily,
    description="Keep each day's metric values (backfill a range of days to rebuild them).",
)

# Late in the UTC day, after the day's runs: today's partition (copied when the live build's latest
# event is today, else recomputed).
history_schedule = dg.build_schedule_from_partitioned_job(
    history_job,
    hour_of_day=23,
    minute_of_hour=30,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(assets=[metric_values_daily], jobs=[history_job], schedules=[history_schedule])
