"""What `make run` prints at the end: files loaded and rejected, and the ten metrics of the latest
complete month (all reps). Read-only on the warehouse; `python -m dagster_project.summary`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib.formatting import format_value
from dagster_project.lib.metrics_catalog import METRIC_KEYS, metric
from dagster_project.lib.planning.summary import plan_lines
from dagster_project.lib.sql import has_table


def ingestion_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    files, failed, read, accepted, rejected = con.execute(
        "select count(*), count(*) filter (where status = 'failed'), coalesce(sum(rows_read), 0),"
        " coalesce(sum(rows_accepted), 0), coalesce(sum(rows_rejected), 0) from raw.loaded_files"
    ).fetchone()
    events = con.execute("select count(distinct event_id) from raw.sales_events").fetchone()[0]
    lines = [
        f"Files loaded: {files} ({failed} failed)",
        f"Rows read: {read:,}  accepted: {accepted:,}  rejected: {rejected:,}  distinct events: {events:,}",
    ]
    for source_file, error in con.execute(
        "select source_file, error from raw.loaded_files where status = 'failed' order by load_id"
    ).fetchall():
        lines.append(f"  failed: {source_file}: {error.splitlines()[0]}")
    top_reasons = con.execute(
        "select split_part(reason, ':', 1) as why, count(*) from raw.rejected_events"
        " group by why order by 2 desc, 1 limit 5"
    ).fetchall()
    lines += [f"  rejected {n:,} x {why}" for why, n in top_reasons]
    return lines


def metric_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    latest = con.execute(
        # The month of as_of is still running: the latest complete month is the one before it.
        "select max(period_start) from marts.metric_values"
        " where period_start < (select max(period_start) from marts.metric_values)"
    ).fetchone()[0]
    if latest is None:
        return ["No complete month in the data yet."]
    values = dict(
        con.execute(
            "select metric, value from marts.metric_values where dimension = 'all' and period_start = ?",
            [latest],
        ).fetchall()
    )
    # A cohort metric has no value until its window has passed: show the latest month that has one.
    latest_known = dict(
        con.execute(
            "select metric, arg_max(value, period_start) || '|' || strftime(max(period_start), '%b %Y')"
            " from marts.metric_values where dimension = 'all' and value is not null group by metric"
        ).fetchall()
    )
    lines = [f"The ten metrics for {latest:%B %Y} (latest complete month, all reps):"]
    for number, key in enumerate(METRIC_KEYS, start=1):
        text = format_value(metric(key), values.get(key))
        if values.get(key) is None and key in latest_known:
            value, month = latest_known[key].split("|")
            text += f"  (window not over yet; latest: {format_value(metric(key), float(value))} in {month})"
        lines.append(f"  {number:>2}. {key:<26} {text}")
    return lines


def summary_lines(warehouse: Path) -> list[str]:
    if not warehouse.exists():
        raise FileNotFoundError(f"No warehouse at {warehouse}: run `make run` first.")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = [f"Warehouse: {warehouse}"]
        if has_table(con, "raw", "loaded_files"):
            lines += ingestion_lines(con)
        if has_table(con, "marts", "metric_values"):
            lines += metric_lines(con)
        lines += plan_lines(con)
    return lines
