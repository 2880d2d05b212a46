"""The catalog of Great Expectations checks: the asset each one checks, how severe its failure is,
the aggregate of the warehouse it validates and the suite it validates it with (same name).

Each rule is checked once: dbt's data tests check the models (keys, values, ratios, gaps); these
check what dbt cannot reach: the raw layer (a load's reject share, failed files, event times, daily
volume) and the reconciliation of each layer with the one before it.

Dagster imports this module to declare the checks, so it never imports GX: the suites are
imported by the runner, when checks run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from data_quality.aggregates import marts, raw, staging
from data_quality.context import CheckContext, Skip

if TYPE_CHECKING:
    import pandas as pd

Aggregate = Callable[[duckdb.DuckDBPyConnection, CheckContext], "pd.DataFrame | Skip"]
Samples = Callable[[duckdb.DuckDBPyConnection, CheckContext], "dict[str, pd.DataFrame]"]
Keep = Callable[[Path, "pd.DataFrame", "str | None"], None]

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
    # What a pass keeps in the warehouse for the next check (its watermark), from the frame it passed
    # on: called with the warehouse, the frame and the run id once the read-only connection is closed.
    keep: Keep | None = None

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
        "in this run (dagster_project/lib/ingestion/gate.py); the run still succeeds (docs/contract.md, 'Bad input').",
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

# What dbt's tests cannot see: one layer against the next.
STAGING_CHECKS = [
    QualityCheck(
        name="gx_staging_reconciles_with_raw",
        asset=STAGED_EVENTS,
        severity=ERROR,
        description="Every event id accepted in raw (outside held loads) is staged exactly once, and nothing "
        "else is: checked for the ids changed since the last pass when the rest is verified unchanged, "
        "else for every id (the result's `scope`).",
        aggregate=staging.events_by_layer,
        samples=staging.unreconciled_events_samples,
        index_columns=("raw_event_ids", "staged_rows", "scope"),
        keep=staging.keep_watermark,
    ),
]

MART_CHECKS = [
    QualityCheck(
        name="gx_marts_reconcile_with_staging",
        asset=METRIC_VALUES,
        severity=ERROR,
        description="The totals of the three count metrics (conversations, prospect calls, prospecting "
        "emails) over all months equal a recount from the staged events up to as_of.",
        aggregate=marts.count_totals,
        samples=marts.count_totals_samples,
        index_columns=("metric", "marts_total", "staging_total"),
    ),
]

CHECKS_BY_LAYER: dict[str, list[QualityCheck]] = {
    "raw": RAW_CHECKS,
    "staging": STAGING_CHECKS,
    "marts": MART_CHECKS,
}
ALL_CHECKS = [check for checks in CHECKS_BY_LAYER.values() for check in checks]

# The checks each Dagster step runs (dagster_project/defs/quality/checks.py): the raw layer's as soon
# as the load is done, whatever dbt does; the two reconciliations after the build, in one step (one
# GX context and one Data Docs build: a step and ~0.3 s less per run).
CHECKS_BY_STEP: dict[str, list[QualityCheck]] = {
    "raw": RAW_CHECKS,
    "reconciliation": STAGING_CHECKS + MART_CHECKS,
}


def checks_story(outcomes: list, seconds: float) -> str:
    """One line on a step's checks: how many passed (by layer), and which failed with their severity."""
    failed = [o for o in outcomes if not o.passed]
    layers = ", ".join(dict.fromkeys(o.check.layer for o in outcomes))
    line = f"Checks ({layers}): {len(outcomes) - len(failed)} of {len(outcomes)} passed"
    if failed:
        line += "; failed: " + ", ".join(f"{o.check.name} ({o.check.severity})" for o in failed)
    return line + f" in {seconds:.1f} s."
