"""Planning (docs/decisions.md): the targets file as raw tables with its check, the backtest check of
the forecast, the delivery of metric alerts. The marts are dbt models."""

import dagster as dg

from .alerts import metric_alert_deliveries
from .assets import sales_targets
from .checks import forecast_backtest_error

# The `planning` resource (PlanningResource) is registered with the dbt models (defs/dbt), which
# need it too: one definition of it in the merged graph.
defs = dg.Definitions(assets=[sales_targets, metric_alert_deliveries], asset_checks=[forecast_backtest_error])

__all__ = ["defs"]
