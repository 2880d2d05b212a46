"""The forecast's backtest as a check of marts/forecast_backtest: the error per month ahead in its
metadata, WARN when the last year's one-month-ahead forecasts missed their 80% interval too often."""

import dagster as dg
import duckdb

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.planning.evaluation import BACKTEST_COLUMNS, backtest_errors, markdown
from dagster_project.lib.sql import has_table

FORECAST_BACKTEST = dg.AssetKey(["marts", "forecast_backtest"])
# Below this share of one-month-ahead actuals inside the 80% interval (over at least MIN_FORECASTS
# origins) the forecast is worse calibrated than chance allows: the process has likely changed.
MIN_COVERAGE = 0.5
MIN_FORECASTS = 4


@dg.asset_check(
    asset=FORECAST_BACKTEST,
    name="forecast_backtest_error",
    pool=WAREHOUSE_POOL,
    description="Backtest error of the conversion forecast per month ahead (metadata); WARN when fewer "
    f"than {MIN_COVERAGE:.0%} of the one-month-ahead actuals fell inside the 80% interval.",
)
def forecast_backtest_error(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with duckdb.connect(str(warehouse.settings().warehouse), read_only=True) as con:
        if not has_table(con, *FORECAST_BACKTEST.path):
            return dg.AssetCheckResult(passed=True, description="No backtest yet (no build).")
        overall = backtest_errors(con, "all")
        by_source = backtest_errors(con, "lead_source")
    metadata = {
        "error_all_leads": dg.MetadataValue.md(markdown(BACKTEST_COLUMNS, overall)),
        "error_by_lead_source": dg.MetadataValue.md(markdown(BACKTEST_COLUMNS, by_source)),
    }
    one_ahead = next((row for row in overall if row[0] == 1), None)
    if one_ahead is None or one_ahead[1] < MIN_FORECASTS:
        return dg.AssetCheckResult(
            passed=True, metadata=metadata, description="Too little history for a one-month-ahead backtest."
        )
    forecasts, relative_error, coverage = one_ahead[1], one_ahead[5], one_ahead[7]
    metadata.update(
        {
            "one_month_ahead_forecasts": dg.MetadataValue.int(forecasts),
            "one_month_ahead_abs_error_over_actual": dg.MetadataValue.float(float(relative_error or 0)),
            "one_month_ahead_interval_coverage": dg.MetadataValue.float(float(coverage)),
        }
    )
    return dg.AssetCheckResult(
        passed=coverage >= MIN_COVERAGE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=f"One month ahead: {coverage:.0%} of {forecasts} actuals inside the 80% interval, "
        f"absolute error {float(relative_error or 0):.0%} of the actuals.",
    )
