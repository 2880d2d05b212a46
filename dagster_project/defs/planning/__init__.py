"""Planning (docs/decisions.md): the targets file as raw tables with its check, the backtest check of
the forecast, the delivery of metric alerts, and the planning settings. The marts are dbt models."""

import dagster as dg

from .alerts import metric_alert_deliveries
from .assets import sales_targets
from .checks import forecast_backtest_error
from .resources import planning_resource

defs = dg.Definitions(
    assets=[sales_targets, metric_alert_deliveries],
    asset_checks=[forecast_backtest_error],
    resources={"planning": planning_resource()},
)

__all__ = ["defs"]
