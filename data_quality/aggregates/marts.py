"""Aggregates of marts.metric_values (CONTRACT section 5: metric, period_start, dimension,
dimension_value, numerator, denominator, value).

The rate checks reduce the table to one row per (rate metric, dimension) with its extremes and
counts of offending rows; the completeness check to one row per metric key for the latest
complete month. `*_samples` return a few offending rows (LIMIT).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb

from dagster_project.lib.metrics_catalog import METRIC_KEYS, RATE_METRIC_KEYS
from dagster_project.lib.sql import sql_list
from data_quality.context import CheckContext, Skip

if TYPE_CHECKING:  # pandas is imported by DuckDB when a frame is made, not when Dagster loads
    import pandas as pd

METRIC_VALUES = "marts.metric_values"
STAGED = "staging.stg_sales_events"
SAMPLE_COLUMNS = "metric, period_start, dimension, dimension_value, numerator, denominator, value"


# --- gx_marts_rates_within_0_1 ------------------------------------------------------------------


def rate_ranges(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per (rate metric, dimension): rows, rows with a value, lowest and highest value, and
    rows whose value is outside [0, 1]."""
    return con.execute(
        f"""
        select metric, dimension, count(*) as rows, count(value) as rows_with_value,
               min(value) as lowest_value, max(value) as highest_value,
               count_if(value < 0 or value > 1)::bigint as rows_out_of_range
        from {METRIC_VALUES} where metric in ({sql_list(RATE_METRIC_KEYS)})
        group by all order by metric, dimension
        """
    ).df()


def rates_out_of_range_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_rates_out_of_range": con.execute(
            f"""
            select {SAMPLE_COLUMNS} from {METRIC_VALUES}
            where metric in ({sql_list(RATE_METRIC_KEYS)}) and (value < 0 or value > 1)
            order by abs(value - 0.5) desc, metric, period_start limit 10
            """
        ).df()
    }


# --- gx_marts_numerator_within_denominator ------------------------------------------------------


def rate_fractions(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per (rate metric, dimension): rows, rows lacking a numerator or denominator, rows whose
    numerator exceeds the denominator, and the largest excess."""
    return con.execute(
        f"""
        select metric, dimension, count(*) as rows,
               count_if(numerator is null or denominator is null)::bigint as rows_missing_a_part,
               count_if(numerator > denominator)::bigint as rows_numerator_above_denominator,
               max(numerator - denominator) as largest_excess
        from {METRIC_VALUES} where metric in ({sql_list(RATE_METRIC_KEYS)})
        group by all order by metric, dimension
        """
    ).df()


def bad_fractions_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_bad_fractions": con.execute(
            f"""
            select {SAMPLE_COLUMNS} from {METRIC_VALUES}
            where metric in ({sql_list(RATE_METRIC_KEYS)})
              and (numerator > denominator or numerator is null or denominator is null)
            order by numerator - denominator desc nulls first, metric, period_start limit 10
            """
        ).df()
    }


# --- gx_marts_latest_month_complete -------------------------------------------------------------


def latest_complete_month(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> tuple[date, datetime] | Skip:
    """The month before the month of as_of (SALES_AS_OF, else the latest staged occurred_at), and as_of.

    Skipped while the data does not reach back into that month (no complete month yet).
    """
    first, latest = con.execute(f"select min(occurred_at), max(occurred_at) from {STAGED}").fetchone()
    as_of = ctx.as_of or latest
    if as_of is None or first is None:
        return Skip(f"{STAGED} is empty: no month to check.")
    as_of_month = date(as_of.year, as_of.month, 1)
    month = (as_of_month - timedelta(days=1)).replace(day=1)
    if first.date() >= as_of_month:
        return Skip(
            f"Events start on {first.date()}, in the month of as_of ({as_of}): no complete month yet."
        )
    return month, as_of


def metrics_of_latest_month(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame | Skip:
    """One row per metric key (the ten expected, plus any other key found) with its number of
    `dimension = 'all'` rows for the latest complete month."""
    found = latest_complete_month(con, ctx)
    if isinstance(found, Skip):
        return found
    month, as_of = found
    expected = ", ".join(["(?)"] * len(METRIC_KEYS))
    frame = con.execute(
        f"""
        with expected(metric) as (values {expected}),
        present as (
            select metric, count(*) as all_rows from {METRIC_VALUES}
            where period_start = ? and dimension = 'all' group by metric
        )
        select coalesce(expected.metric, present.metric) as metric,
               coalesce(present.all_rows, 0) as all_rows
        from expected full outer join present on expected.metric = present.metric
        order by metric
        """,
        [*METRIC_KEYS, month],
    ).df()
    frame.insert(0, "period_start", month.isoformat())
    frame.insert(1, "as_of", str(as_of))
    return frame


def latest_month_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    found = latest_complete_month(con, ctx)
    if isinstance(found, Skip):
        return {}
    month, _ = found
    return {
        "all_rows_of_latest_months": con.execute(
            f"""
            select metric, period_start, count(*) as all_rows, any_value(value) as value
            from {METRIC_VALUES}
            where dimension = 'all' and period_start >= ?::date - interval 2 month
            group by all order by metric, period_start desc
            """,
            [month],
        ).df()
    }
