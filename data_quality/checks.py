"""The catalog of Great Expectations checks: the asset each one checks, how severe its failure is,
the aggregate of the warehouse it validates and the suite it validates it with (same name).

Dagster imports this module to declare the checks, so it never imports GX: the suites are
imported by the runner, when checks run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from data_quality.aggregates import marts, raw, staging
from data_quality.context import CheckContext, Skip

if TYPE_CHECKING:
    import pandas as pd

Aggregate = Callable[[duckdb.DuckDBPyConnection, CheckContext], "pd.DataFrame | Skip"]
Samples = Callable[[duckdb.DuckDBPyConnection, CheckContext], "dict[str, pd.DataFrame]"]

ERROR, WARN = "ERROR", "WARN"  # the values of dagster.AssetCheckSeverity

# Key of an expectation's `meta` naming the frame column that counts the table rows an unexpected
# aggregate row stands for (e.g. `missing`), so reports say how many rows are affected.
AFFECTED_ROWS = "affected_rows_column"


@dataclass(frozen=True)
class QualityCheck:
    name: str  # the Dagster check name and the suite name (prefixed gx_: never a dbt test's name)
    asset: str  # asset key as a path, e.g. "raw/sales_events"
    severity: str  # ERROR | WARN
    description: str
    aggregate: Aggregate  # the small frame the suite validates (or Skip: nothing to validate)
    samples: Samples | None = None  # offending rows, fetched only when the check fails
    index_columns: tuple[str, ...] = ()  # columns naming an unexpected aggregate row in the report

    @property
    def asset_path(self) -> list[str]:
        return self.asset.split("/")

    @property
    def layer(self) -> str:
        return self.asset_path[0]


RAW_SALES_EVENTS = "raw/sales_events"
STAGED_EVENTS = "staging/stg_sales_events"
METRIC_VALUES = "marts/metric_values"

RAW_CHECKS = [
    QualityCheck(
        name="gx_raw_reject_share",
        asset=RAW_SALES_EVENTS,
        severity=ERROR,
        description="Share of rejected rows in this run's load (the files it loaded) is at most "
        "SALES_MAX_REJECT_SHARE (default 5%). When it is not, staging and the marts are not rebuilt "
        "in this run (dagster_project/lib/load_gate.py); the run still succeeds (CONTRACT section 1).",
        aggregate=raw.reject_share,
        samples=raw.reject_share_samples,
        index_columns=("rows_read", "rows_rejected", "max_reject_share"),
    ),
    QualityCheck(
        name="gx_raw_failed_files",
        asset=RAW_SALES_EVENTS,
        severity=WARN,
        description="Every file this run read could be parsed (a file that cannot be is rejected whole).",
        aggregate=raw.files_of_this_run,
        index_columns=("source_file", "error"),
    ),
    QualityCheck(
        name="gx_raw_future_events",
        asset=RAW_SALES_EVENTS,
        severity=WARN,
        description="No accepted event is dated after now (UTC); such events would move as_of.",
        aggregate=raw.future_events_by_file,
        samples=raw.future_events_samples,
        index_columns=("source_file", "latest_occurred_at"),
    ),
    QualityCheck(
        name="gx_raw_daily_volume",
        asset=RAW_SALES_EVENTS,
        severity=WARN,
        description="The last complete day (the day before the latest event's day) has at least half "
        "the mean events of the same weekday over the 4 previous weeks.",
        aggregate=raw.daily_volume,
        samples=raw.daily_volume_samples,
        index_columns=("day", "weekday", "events", "baseline_mean"),
    ),
]

STAGING_CHECKS = [
    QualityCheck(
        name="gx_staging_unique_event_id",
        asset=STAGED_EVENTS,
        severity=ERROR,
        description="event_id is unique in staging (one row per event).",
        aggregate=staging.event_id_counts,
        samples=staging.duplicated_event_ids,
        index_columns=("rows", "event_ids", "surplus_rows"),
    ),
    QualityCheck(
        name="gx_staging_required_fields",
        asset=STAGED_EVENTS,
        severity=ERROR,
        description="Keys (event_id, event_type, occurred_at, contact_id), defaulted fields (purpose, "
        "lead_source) and the fields each event type requires are not null.",
        aggregate=staging.required_fields,
        samples=staging.missing_fields_samples,
        index_columns=("field", "required_for"),
    ),
    QualityCheck(
        name="gx_staging_accepted_values",
        asset=STAGED_EVENTS,
        severity=ERROR,
        description="event_type, direction, purpose and the outcome of calls and meetings are in their sets.",
        aggregate=staging.coded_values,
        samples=staging.unexpected_values_samples,
        index_columns=("event_type", "events"),
    ),
    QualityCheck(
        name="gx_staging_amounts_non_negative",
        asset=STAGED_EVENTS,
        severity=ERROR,
        description="Amounts are >= 0.",
        aggregate=staging.amounts_by_event_type,
        samples=staging.negative_amounts_samples,
        index_columns=("event_type", "negative_amounts"),
    ),
    QualityCheck(
        name="gx_staging_offer_references",
        asset=STAGED_EVENTS,
        severity=WARN,
        description="Every offer_lost, and every purchase carrying an offer_id, refers to a sent offer.",
        aggregate=staging.offer_references,
        samples=staging.unknown_offers_samples,
        index_columns=("event_type", "events"),
    ),
]

MART_CHECKS = [
    QualityCheck(
        name="gx_marts_rates_within_0_1",
        asset=METRIC_VALUES,
        severity=ERROR,
        description="The five rate metrics have values within [0, 1].",
        aggregate=marts.rate_ranges,
        samples=marts.rates_out_of_range_samples,
        index_columns=("metric", "dimension", "rows_out_of_range"),
    ),
    QualityCheck(
        name="gx_marts_numerator_within_denominator",
        asset=METRIC_VALUES,
        severity=ERROR,
        description="For the five rate metrics, numerator and denominator are present and numerator <= denominator.",
        aggregate=marts.rate_fractions,
        samples=marts.bad_fractions_samples,
        index_columns=("metric", "dimension", "largest_excess"),
    ),
    QualityCheck(
        name="gx_marts_latest_month_complete",
        asset=METRIC_VALUES,
        severity=WARN,
        description="Each of the ten metrics has its `all` row for the latest complete month (the "
        "month before the month of as_of).",
        aggregate=marts.metrics_of_latest_month,
        samples=marts.latest_month_samples,
        index_columns=("period_start", "metric"),
    ),
]

CHECKS_BY_LAYER: dict[str, list[QualityCheck]] = {
    "raw": RAW_CHECKS,
    "staging": STAGING_CHECKS,
    "marts": MART_CHECKS,
}
ALL_CHECKS = [check for checks in CHECKS_BY_LAYER.values() for check in checks]
