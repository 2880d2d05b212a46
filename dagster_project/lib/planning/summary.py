"""The plan in a few lines, after the ten metrics (`make run`, `python -m dagster_project.summary`):
pacing of each target, the next three months' expected new customers from the open funnel, the leads
needed, and the latest metric alerts. Read-only on the warehouse; `plan(con)` also feeds the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from dagster_project.lib.sql import has_table

PLAN_TABLES = ("target_pacing", "conversion_forecast", "leads_needed", "metric_alerts", "fiscal_periods")
FORECAST_MONTHS = 3
ALERT_LINES = 5


@dataclass
class Plan:
    as_of: date | None
    fiscal: dict[tuple[date, date], str]  # (start, end) of the current fiscal quarter / year -> label
    pacing: list[dict] = field(default_factory=list)
    forecast: list[dict] = field(default_factory=list)  # dimension 'all', the next FORECAST_MONTHS
    leads: list[dict] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)  # the latest ALERT_LINES
    alert_count: int = 0


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def read_plan(
    con: duckdb.DuckDBPyConnection, as_of: date | None = None, forecast_months: int = FORECAST_MONTHS
) -> Plan | None:
    """The plan's tables (in the warehouse, or views of a published snapshot), or None before a build
    made them. as_of defaults to the warehouse's."""
    if not all(has_table(con, "marts", table) for table in PLAN_TABLES):
        return None
    if as_of is None and has_table(con, "intermediate", "int_as_of"):
        as_of = con.execute("select cast(max(as_of) as date) from intermediate.int_as_of").fetchone()[0]
    fiscal = {
        (r["period_start"], r["period_end"]): r["label"]
        for r in _dicts(con, "select * from marts.fiscal_periods")
    }
    plan = Plan(as_of=as_of, fiscal=fiscal)
    plan.pacing = _dicts(
        con,
        "select * from marts.target_pacing order by measure <> 'new_customers', period_start, period_end,"
        " dimension, dimension_value nulls first",
    )
    # The current fiscal quarter and year first.
    plan.pacing.sort(key=lambda r: (r["period_start"], r["period_end"]) not in fiscal)
    plan.forecast = _dicts(
        con,
        "select * from marts.conversion_forecast where dimension = 'all' order by period_start limit ?",
        [forecast_months],
    )
    plan.leads = _dicts(
        con,
        "select * from marts.leads_needed order by period_start, period_end, dimension <> 'all',"
        " dimension, dimension_value",
    )
    plan.alert_count = con.execute("select count(*) from marts.metric_alerts").fetchone()[0]
    plan.alerts = _dicts(
        con,
        "select * from marts.metric_alerts order by period_start desc, score desc limit ?",
        [ALERT_LINES],
    )
    return plan


def period_text(start: date, end: date, fiscal: dict[tuple[date, date], str]) -> str:
    label = fiscal.get((start, end))
    return f"{start:%Y-%m-%d}..{end:%Y-%m-%d}" + (f" ({label}, current)" if label else "")


def slice_text(dimension: str, value: str | None) -> str:
    return "all" if dimension == "all" else f"{dimension} {value}"


def amount(value: float, measure: str) -> str:
    return f"{value:,.2f}" if measure == "revenue" else f"{value:,.0f}"


def leads_text(row: dict) -> str:
    """What closing the gap takes; says so when no number of new leads can."""
    if row["gap"] <= 0:
        return "no gap: the customers so far and the open funnel meet the target"
    if row["leads_needed"] is None:
        return (
            f"gap {row['gap']:,.1f}: no number of new leads closes the gap in time "
            f"(a lead created now converts within the period with {row['conversion_by_period_end']:.2%})"
        )
    return (
        f"gap {row['gap']:,.1f} -> {row['leads_needed']:,.0f} new leads "
        f"({row['conversion_by_period_end']:.1%} of leads created now convert within the period)"
    )


def alternative_text(row: dict) -> str:
    needed = "too late" if row["leads_needed"] is None else f"{row['leads_needed']:,.0f}"
    return f"{row['dimension_value']} {needed} ({row['conversion_by_period_end']:.1%})"


def leads_lines(plan: Plan) -> list[str]:
    """One line per target; a target for all leads also says what each lead source alone would need."""
    own_targets = {
        (r["period_start"], r["period_end"], r["dimension"], r["dimension_value"])
        for r in plan.pacing
        if r["measure"] == "new_customers"
    }
    lines = []
    for r in plan.leads:
        key = (r["period_start"], r["period_end"], r["dimension"], r["dimension_value"])
        if key not in own_targets:
            continue  # a lead source's alternative for the 'all' target: on that target's line
        line = (
            f"  {period_text(r['period_start'], r['period_end'], plan.fiscal)}"
            f" {slice_text(r['dimension'], r['dimension_value'])}: target {r['target']:,.0f},"
            f" {r['customers_to_date']:,.0f} so far + {r['expected_from_funnel']:,.1f} expected from the"
            f" funnel; {leads_text(r)}"
        )
        alternatives = [
            alternative_text(a)
            for a in plan.leads
            if r["dimension"] == "all" and r["gap"] > 0 and a["dimension"] == "lead_source"
            and (a["period_start"], a["period_end"]) == key[:2]
            and (a["period_start"], a["period_end"], a["dimension"], a["dimension_value"]) not in own_targets
        ]  # fmt: skip
        if alternatives:
            line += "; or leads of one source alone: " + ", ".join(alternatives)
        lines.append(line)
    return lines


def plan_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    plan = read_plan(con)
    if plan is None:
        return []
    lines = [f"Plan as of {plan.as_of} (targets: SALES_TARGETS_FILE; docs/decisions.md):"]
    if not plan.pacing:
        lines.append("  No targets (see raw.refused_targets for lines the targets file had refused).")
    for r in plan.pacing:
        lines.append(
            f"  {period_text(r['period_start'], r['period_end'], plan.fiscal)} {r['measure']} "
            f"({slice_text(r['dimension'], r['dimension_value'])}): {amount(r['actual_to_date'], r['measure'])} "
            f"so far, {amount(r['expected_at_period_end'], r['measure'])} expected at period end "
            f"of a target of {amount(r['target'], r['measure'])}: {r['status'].replace('_', ' ')}"
        )
    if plan.forecast:
        lines.append("Expected new customers from the leads open now (80% interval):")
        lines += [
            f"  {r['period_start']:%b %Y}: {r['expected_new_customers']:,.1f} ({r['low']:,.1f} to {r['high']:,.1f})"
            for r in plan.forecast
        ]
    if plan.leads:
        lines.append("Leads needed (new leads created now) for the new-customer targets not over:")
        lines += leads_lines(plan)
    shown = f", the latest {len(plan.alerts)}" if plan.alert_count > len(plan.alerts) else ""
    lines.append(
        f"Metric alerts, trends that turned worse: {plan.alert_count}{shown}" + (":" if plan.alerts else ".")
    )
    lines += [f"  {r['message']}" for r in plan.alerts]
    return lines


def report_plan(plan: Plan) -> dict:
    """The plan page of the report (lib/report/templates/plan.html.j2): the same facts as the terminal
    lines, as table cells."""
    own_targets = {
        (r["period_start"], r["period_end"], r["dimension"], r["dimension_value"])
        for r in plan.pacing
        if r["measure"] == "new_customers"
    }
    return {
        "as_of": str(plan.as_of) if plan.as_of else "",
        "pacing": [
            {
                "period": f"{r['period_start']} to {r['period_end']}",
                "fiscal": plan.fiscal.get((r["period_start"], r["period_end"]), ""),
                "measure": r["measure"],
                "slice": slice_text(r["dimension"], r["dimension_value"]),
                "target": amount(r["target"], r["measure"]),
                "actual": amount(r["actual_to_date"], r["measure"]),
                "expected": amount(r["expected_at_period_end"], r["measure"]),
                "status": r["status"],
            }
            for r in plan.pacing
        ],
        "forecast": [
            {
                "month": f"{r['period_start']:%b %Y}",
                "expected": f"{r['expected_new_customers']:,.1f}",
                "interval": f"{r['low']:,.1f} to {r['high']:,.1f}",
            }
            for r in plan.forecast
        ],
        "leads": [
            {
                "period": f"{r['period_start']} to {r['period_end']}",
                "fiscal": plan.fiscal.get((r["period_start"], r["period_end"]), ""),
                "slice": slice_text(r["dimension"], r["dimension_value"])
                + (
                    ""
                    if (r["period_start"], r["period_end"], r["dimension"], r["dimension_value"])
                    in own_targets
                    else " (this source alone, for the target of all leads)"
                ),
                "target": f"{r['target']:,.0f}",
                "so_far": f"{r['customers_to_date']:,.0f}",
                "funnel": f"{r['expected_from_funnel']:,.1f}",
                "gap": f"{r['gap']:,.1f}",
                "conversion": f"{r['conversion_by_period_end']:.1%}",
                "leads": "0"
                if r["gap"] <= 0
                else (
                    "none can close it in time" if r["leads_needed"] is None else f"{r['leads_needed']:,.0f}"
                ),
            }
            for r in plan.leads
            if r["gap"] > 0
            or r["dimension"] != "lead_source"
            or (r["period_start"], r["period_end"], r["dimension"], r["dimension_value"]) in own_targets
        ],  # fmt: skip
        "alerts": [r["message"] for r in plan.alerts],
        "alert_count": plan.alert_count,
    }
