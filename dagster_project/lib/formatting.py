"""How a metric's value reads, in the terminal and in the report alike (one formatter)."""

from __future__ import annotations

from dagster_project.lib.metrics_catalog import Metric


def format_value(m: Metric, value: float | None) -> str:
    if value is None:
        return "n/a"
    if m.kind == "rate":
        return f"{value:.1%}"
    if m.kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}" + (f" {m.unit}" if m.unit else "")


def format_fraction(numerator: float | None, denominator: float | None) -> str:
    """`12 / 40`: the members behind a rate or a mean, so a reader can judge its weight."""
    if numerator is None or denominator is None:
        return ""

    def number(x: float) -> str:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"

    return f"{number(numerator)} / {number(denominator)}"


def format_change(m: Metric, change: float | None, ratio: float | None) -> str:
    """A change against the month before: points for rates, units and percent for the others."""
    if change is None:
        return "n/a"
    if m.kind == "rate":
        return f"{change * 100:+.1f} pp"
    text = f"{change:+,.0f}" if m.kind == "count" else f"{change:+,.1f}"
    return text + (f" ({ratio:+.1%})" if ratio is not None else "")
