"""Which month of a metric to headline, for the summary and the report alike.

A metric's headline is its latest *mature* month with a value (lib/metrics_catalog.py: the month's
window is over for every member), against the month before it. A month that is not mature yet is
partial: a young cohort's lower conversion is maturity, not a fall, so it is never compared. Only when
no month is mature yet does the headline show the latest month's value so far, marked partial.
Every rate and mean carries its numerator and denominator, and one on fewer than `MIN_DENOMINATOR`
members is marked small.

The month of as_of and the latest complete month come from the dbt model int_as_of (through the
warehouse or the published snapshot); nothing here decides them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dagster_project.lib.metrics_catalog import Metric

# A rate or mean over fewer members than this is shown greyed: too few to read a trend from.
MIN_DENOMINATOR = 20


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def is_mature(m: Metric, month: date, as_of: datetime, latest_complete_month: date) -> bool:
    """True once the month is complete and its last member's window has ended at or before as_of."""
    if month > latest_complete_month:
        return False
    window_end = add_months(month, 1 + m.maturity_months) + timedelta(days=m.maturity_days)
    return datetime.combine(window_end, datetime.min.time()) <= as_of


@dataclass(frozen=True)
class Point:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Headline:
    metric: str
    period_start: date | None
    point: Point
    previous_value: float | None = None
    partial: bool = False  # no mature month yet: the latest month's value so far, not compared

    @property
    def value(self) -> float | None:
        return self.point.value

    @property
    def small(self) -> bool:
        denominator = self.point.denominator
        return denominator is not None and denominator < MIN_DENOMINATOR

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous_value is None:
            return None
        return self.value - self.previous_value

    @property
    def change_ratio(self) -> float | None:
        if self.change is None or not self.previous_value:
            return None
        return self.change / abs(self.previous_value)


def pick_headline(
    m: Metric, points: dict[date, Point], as_of: datetime | None, latest_complete_month: date | None
) -> Headline:
    with_value = sorted(month for month, point in points.items() if point.value is not None)
    if not with_value:
        return Headline(m.key, None, Point(None))
    mature = [
        month
        for month in with_value
        if as_of is not None and latest_complete_month is not None
        and is_mature(m, month, as_of, latest_complete_month)
    ]  # fmt: skip
    if not mature:
        return Headline(m.key, with_value[-1], points[with_value[-1]], partial=True)
    latest = mature[-1]
    previous = points.get(add_months(latest, -1))
    return Headline(m.key, latest, points[latest], previous.value if previous else None)
