"""Plausible time or a reason (docs/contract.md, "Bad input"): the range an `occurred_at` or
`updated_at` must fall in, set once per load on the DuckDB connection and used by the loader's one
validation pass. A year-1 or year-9999 event is rejected with its reason, so it can never become
`as_of`, and no later step (dbt, Great Expectations, the report) meets a time Python cannot hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb


def implausible_time_sql(column: str) -> str:
    """The reason a parsed time is refused: before the earliest plausible time, or later than the load's
    time plus the tolerance (docs/contract.md, "Bad input"). The bounds are the connection's variables
    set by `set_time_bounds`, so a year-1 or year-9999 event can never become as_of."""
    return f"""case when {column}_ts < getvariable('earliest_event_time')
                     then '{column} is before ' || strftime(getvariable('earliest_event_time'), '%Y-%m-%d %H:%M:%S')
                          || ' UTC (SALES_EARLIEST_EVENT_TIME): ' || {column}
                     when {column}_ts > getvariable('latest_event_time')
                     then '{column} is after ' || strftime(getvariable('latest_event_time'), '%Y-%m-%d %H:%M:%S')
                          || ' UTC, the load''s time plus SALES_FUTURE_TOLERANCE_HOURS: ' || {column} end"""


@dataclass(frozen=True)
class TimeBounds:
    """The plausible range of occurred_at and updated_at for one load (naive UTC datetimes)."""

    earliest: datetime
    latest: datetime

    @classmethod
    def for_load(
        cls,
        earliest: datetime = datetime(2000, 1, 1),
        tolerance: timedelta = timedelta(days=1),
        now: datetime | None = None,
    ) -> TimeBounds:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return cls(earliest, now + tolerance)


def set_time_bounds(con: duckdb.DuckDBPyConnection, bounds: TimeBounds) -> None:
    con.execute("set variable earliest_event_time = ?::timestamp", [bounds.earliest])
    con.execute("set variable latest_event_time = ?::timestamp", [bounds.latest])
