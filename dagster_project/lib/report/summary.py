"""What `make run` prints at the end: files loaded and rejected, and the ten metrics, each at its
latest mature month with its denominator (all reps). Read-only on the warehouse;
`python -m dagster_project.summary`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib.formatting import format_fraction, format_value
from dagster_project.lib.ingestion.gate import active_holds
from dagster_project.lib.metrics_catalog import METRIC_KEYS, metric
from dagster_project.lib.planning.summary import plan_lines
from dagster_project.lib.report.headlines import MIN_DENOMINATOR, Point, pick_headline
from dagster_project.lib.sql import has_table

TOP_REASONS = 5  # rejection reasons listed by name; the others are counted on one line


def ingestion_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    files, failed, read, accepted, rejected = con.execute(
        "select count(*), count(*) filter (where status = 'failed'), coalesce(sum(rows_read), 0),"
        " coalesce(sum(rows_accepted), 0), coalesce(sum(rows_rejected), 0) from raw.loaded_files"
    ).fetchone()
    lines = [
        f"Files loaded: {files} ({failed} failed)",
        f"Rows read: {read:,}  accepted: {accepted:,}  rejected: {rejected:,}",
    ]
    if has_table(con, "staging", "stg_sales_events"):
        # Staging holds one row per event (held loads left out): counting it is free, where counting
        # the distinct ids of the raw rows scans every row (seconds at ten million).
        staged = con.execute("select count(*) from staging.stg_sales_events").fetchone()[0]
        lines[-1] += f"  staged events: {staged:,}"
    for source_file, error in con.execute(
        "select source_file, error from raw.loaded_files where status = 'failed' order by load_id"
    ).fetchall():
        lines.append(f"  failed: {source_file}: {error.splitlines()[0]}")
    # A reason is "<rule>: <value>" (several joined by "; "): rows are counted per rule.
    reasons = con.execute(
        """
        select split_part(part, ': ', 1) as rule, count(*) as n
        from (select unnest(string_split(reason, '; ')) as part from raw.rejected_events)
        group by rule order by n desc, rule
        """
    ).fetchall()
    lines += [f"  rejected {n:,} x {rule}" for rule, n in reasons[:TOP_REASONS]]
    if len(reasons) > TOP_REASONS:
        more = reasons[TOP_REASONS:]
        lines.append(
            f"  ... and {len(more)} more reasons ({sum(n for _, n in more):,} rows): see raw.rejected_events"
        )
    return lines


def metric_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The ten metrics, each at its headline month (lib/report/headlines.py) with its denominator."""
    as_of, latest_complete_month, as_of_month = con.execute(
        "select as_of, latest_complete_month, as_of_month from intermediate.int_as_of"
    ).fetchone()
    if as_of is None:
        return ["No event up to as_of: no metric yet."]
    rows = con.execute(
        "select metric, period_start, value, numerator, denominator from marts.metric_values"
        " where dimension = 'all'"
    ).fetchall()
    points: dict[str, dict] = {}
    for key, month, value, numerator, denominator in rows:
        points.setdefault(key, {})[month] = Point(value, numerator, denominator)
    lines = [
        f"The ten metrics as of {as_of:%Y-%m-%d %H:%M} UTC ({as_of_month:%B %Y} is still running; all reps),",
        "each at its latest mature month (its window over for every member):",
    ]
    for number, key in enumerate(METRIC_KEYS, start=1):
        m = metric(key)
        h = pick_headline(m, points.get(key, {}), as_of, latest_complete_month)
        fraction = format_fraction(h.point.numerator, h.point.denominator)
        notes = [note for note, flag in (("partial: no month is mature yet", h.partial),
                                         (f"fewer than {MIN_DENOMINATOR} members", h.small)) if flag]  # fmt: skip
        month = f"{h.period_start:%b %Y}" if h.period_start else "no month with a value"
        lines.append(
            f"  {number:>2}. {m.title:<32} {format_value(m, h.value):>11}  {fraction:<15} {month}"
            + (f"  ({'; '.join(notes)})" if notes else "")
        )
    return lines


def summary_lines(warehouse: Path) -> list[str]:
    if not warehouse.exists():
        raise FileNotFoundError(f"No warehouse at {warehouse}: run `make run` first.")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = [f"HELD: {hold.line()}" for hold in active_holds(con)]
        lines.append(f"Warehouse: {warehouse}")
        if has_table(con, "raw", "loaded_files"):
            lines += ingestion_lines(con)
        if has_table(con, "marts", "metric_values") and has_table(con, "intermediate", "int_as_of"):
            lines += metric_lines(con)
        lines += plan_lines(con)
    return lines
