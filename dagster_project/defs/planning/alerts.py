"""Each new row of marts.metric_alerts POSTed once to SALES_ALERT_WEBHOOK_URL (kind "metric"),
from within the run that built it, through the same delivery and ledger as the data-quality alerts."""

import dagster as dg

from dagster_project.defs.owners import SALES_ANALYTICS
from dagster_project.defs.resources import WAREHOUSE_POOL, AlertingResource, WarehouseResource
from dagster_project.lib.alerts.dispatch import send_alerts
from dagster_project.lib.planning.notify import metric_alert, read_metric_alerts

METRIC_ALERTS = dg.AssetKey(["marts", "metric_alerts"])


@dg.asset(
    key=["planning", "metric_alert_deliveries"],
    deps=[METRIC_ALERTS],
    group_name="planning",
    pool=WAREHOUSE_POOL,
    kinds={"webhook"},
    owners=SALES_ANALYTICS,
    description="POST each row of marts.metric_alerts not sent before (kind: metric); none for an as_of run.",
)
def metric_alert_deliveries(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, alerting: AlertingResource
) -> dg.MaterializeResult:
    settings = warehouse.settings()
    rows = read_metric_alerts(settings.warehouse)
    if settings.as_of is not None:
        # A recompute of the past finds old turns again: people heard about them when they happened.
        context.log.info(f"as_of run: {len(rows)} metric alert row(s), none sent")
        tally = {"sent": 0, "failed": 0, "logged": 0, "already_handled": 0}
    else:
        alerting_settings = alerting.settings()
        alerts = [metric_alert(row, context.run_id, alerting_settings.ui_url) for row in rows]
        tally = send_alerts(context.instance, alerts, alerting_settings, context.log)
    return dg.MaterializeResult(
        metadata={
            "metric_alert_rows": dg.MetadataValue.int(len(rows)),
            **{key: dg.MetadataValue.int(value) for key, value in tally.items()},
        }
    )
