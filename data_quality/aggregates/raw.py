"""Aggregates of the raw layer (raw.sales_events, raw.loaded_files, raw.rejected_events).

Each function reduces the layer to a small frame in DuckDB SQL (never a whole table into pandas);
`*_samples` return a few offending rows (LIMIT) for the check's metadata when it fails.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import duckdb

from dagster_project.lib.ingestion.gate import load_figures
from data_quality.context import CheckContext, Skip

if TYPE_CHECKING:  # pandas is imported by DuckDB when a frame is made, not when Dagster loads
    import pandas as pd

# A day's volume is compared with the same weekday of this many previous weeks.
VOLUME_BASELINE_WEEKS = 4


def _this_run(ctx: CheckContext) -> str | Skip:
    return ctx.run_id if ctx.run_id else Skip("No Dagster run id: there is no load of this run to check.")


# --- gx_raw_reject_share ------------------------------------------------------------------------


def reject_share(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame | Skip:
    """One row: the files this run loaded, their rows read and rejected, the rejected share and its limit."""
    run_id = _this_run(ctx)
    if isinstance(run_id, Skip):
        return run_id
    load = load_figures(con, run_id)
    if load.files == 0:
        return Skip(f"This run ({run_id}) loaded no file: no load to check.")
    if load.rows_read == 0:
        return Skip(f"The {load.files} file(s) this run loaded held no rows.")
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "run_id": run_id,
                "files": load.files,
                "rows_read": load.rows_read,
                "rows_rejected": load.rows_rejected,
                "reject_share": load.reject_share,
                "max_reject_share": ctx.max_reject_share,
            }
        ]
    )


def reject_share_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    params = [ctx.run_id]
    return {
        "files_of_this_load": con.execute(
            """
            select source_file, rows_read, rows_rejected,
                   round(rows_rejected / nullif(rows_read, 0), 4) as reject_share
            from raw.loaded_files where run_id = ? and status = 'loaded'
            order by rows_rejected desc, source_file limit 20
            """,
            params,
        ).df(),
        "top_reject_reasons": con.execute(
            """
            select left(r.reason, 120) as reason, count(*) as rows
            from raw.rejected_events r join raw.loaded_files f using (load_id)
            where f.run_id = ?
            group by 1 order by rows desc, reason limit 10
            """,
            params,
        ).df(),
        "sample_rejected_rows": con.execute(
            """
            select r.source_file, r.row_number, left(r.reason, 120) as reason,
                   left(r.raw_record, 160) as raw_record
            from raw.rejected_events r join raw.loaded_files f using (load_id)
            where f.run_id = ?
            order by r.load_id, r.row_number limit 10
            """,
            params,
        ).df(),
    }


# --- gx_raw_failed_files ------------------------------------------------------------------------


def files_of_this_run(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame | Skip:
    """One row per file this run recorded in the ledger, with its status and (short) error."""
    run_id = _this_run(ctx)
    if isinstance(run_id, Skip):
        return run_id
    frame = con.execute(
        """
        select source_file, status, rows_read, left(coalesce(error, ''), 200) as error
        from raw.loaded_files where run_id = ? order by load_id
        """,
        [run_id],
    ).df()
    return frame if len(frame) else Skip(f"This run ({run_id}) loaded no file: no load to check.")


# --- gx_raw_future_events -----------------------------------------------------------------------


def future_events_by_file(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame | Skip:
    """One row per source file of raw.sales_events: its events dated after now, and its latest date."""
    frame = con.execute(
        """
        select source_file,
               count(*) as events,
               count_if(occurred_at > ?)::bigint as future_events,
               max(occurred_at) as latest_occurred_at
        from raw.sales_events
        group by source_file
        order by future_events desc, source_file
        """,
        [ctx.now],
    ).df()
    return frame if len(frame) else Skip("raw.sales_events is empty.")


def future_events_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_future_events": con.execute(
            """
            select event_id, event_type, occurred_at, contact_id, source_file, row_number
            from raw.sales_events where occurred_at > ?
            order by occurred_at desc, event_id limit 10
            """,
            [ctx.now],
        ).df()
    }


# --- gx_raw_daily_volume ------------------------------------------------------------------------


def volume_day(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> date | Skip:
    """The day whose volume is checked: the day before the latest event's day (not in the future).

    The latest day is left out because it is usually still being delivered (files land during the
    day), so its count is partial; future-dated events are another check's business.
    """
    latest, first = con.execute(
        "select max(occurred_at)::date, min(occurred_at)::date from raw.sales_events where occurred_at <= ?",
        [ctx.now],
    ).fetchone()
    if latest is None:
        return Skip("raw.sales_events holds no event dated up to now.")
    day = latest - timedelta(days=1)
    needed = day - timedelta(weeks=VOLUME_BASELINE_WEEKS)
    if first > needed:
        return Skip(
            f"Not enough history: the check compares {day} with the same weekday of the "
            f"{VOLUME_BASELINE_WEEKS} previous weeks, and events start on {first} (after {needed})."
        )
    return day


def daily_volume(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame | Skip:
    """One row: the checked day's event count, the mean count of the same weekday over the previous
    weeks (days without events count as 0), and their ratio."""
    day = volume_day(con, ctx)
    if isinstance(day, Skip):
        return day
    baseline_days = [day - timedelta(weeks=w) for w in range(1, VOLUME_BASELINE_WEEKS + 1)]
    counts = dict(
        con.execute(
            """
            select occurred_at::date, count(*) from raw.sales_events
            where occurred_at >= ? and occurred_at < ? group by 1
            """,
            [min(baseline_days), day + timedelta(days=1)],
        ).fetchall()
    )
    events = counts.get(day, 0)
    baseline = sum(counts.get(d, 0) for d in baseline_days) / len(baseline_days)
    import pandas as pd

    if baseline == 0:
        return Skip(f"No events on the same weekday as {day} in the {VOLUME_BASELINE_WEEKS} previous weeks.")
    return pd.DataFrame(
        [
            {
                "day": day.isoformat(),
                "weekday": day.strftime("%A"),
                "events": events,
                "baseline_mean": round(baseline, 2),
                "ratio_to_baseline": round(events / baseline, 4),
            }
        ]
    )


def daily_volume_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    day = volume_day(con, ctx)
    if isinstance(day, Skip):
        return {}
    baseline_days = [day - timedelta(weeks=w) for w in range(1, VOLUME_BASELINE_WEEKS + 1)]
    frame = con.execute(
        """
        with days as (
            select range::date as day from range(?::date, ?::date + 1, interval 1 day)
        ),
        counts as (
            select occurred_at::date as day, count(*) as events from raw.sales_events
            where occurred_at >= ? and occurred_at < ?::date + 1 group by 1
        )
        select days.day, dayname(days.day) as weekday, coalesce(counts.events, 0) as events,
               case when days.day = ? then 'checked'
                    when list_contains(?, days.day) then 'same weekday (baseline)' else '' end as role
        from days left join counts using (day)
        order by days.day desc
        """,
        [min(baseline_days), day, min(baseline_days), day, day, baseline_days],
    ).df()
    return {"daily_events": frame}
