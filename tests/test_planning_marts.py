"""The planning marts built by dbt on synthetic data whose truth is known (real loader, real dbt).

- The conversion forecast against a known conversion process: its mean close to the true expected
  first purchases, and what then happened inside its 80% interval.
- The backtest: its actuals are what the leads did; pacing and leads needed use the same forecast.
- Metric alerts: a planted drop of the offer win rate (60% -> 30%) alerts once for the overall
  slice; the same process without the drop raises at most one alert for it over its last six months.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

from dagster_project.lib.planning.evaluation import load_and_build
from dagster_project.lib.planning.store import store_targets
from dagster_project.lib.planning.summary import plan_lines, read_plan, report_plan
from dagster_project.lib.planning.synthetic import (
    conversion_events,
    conversion_leads,
    month_start,
    offer_events,
)
from dagster_project.lib.planning.targets import parse_targets
from dagster_project.lib.report.build import build_report_html
from tests.conftest import write_jsonl

# Monthly hazard by age in calendar months (0 = the lead's own month).
HAZARDS = {"web": [0.04, 0.10, 0.06, 0.03, 0.01], "event": [0.02, 0.05, 0.05, 0.04, 0.02, 0.01]}
FIRST_MONTH = datetime(2024, 1, 1)
AS_OF = datetime(2025, 6, 15, 12, 0, 0)  # mid-month: 18 months of history, 6 months of what happened after
TARGETS = """period_start,period_end,measure,dimension,dimension_value,target
2025-06-01,2025-06-30,new_customers,all,,150
2025-07-01,2025-09-30,new_customers,all,,300
2025-07-01,2025-09-30,new_customers,lead_source,web,90
"""


def build(tmp: Path, events: list[dict], as_of: datetime | None, select: str, command: str = "run") -> Path:
    """A new warehouse from the events, through the real loader and dbt."""
    write_jsonl(tmp / "landing" / "events.jsonl", events)
    load_and_build(tmp / "landing", tmp / "warehouse.duckdb", as_of, select, command)
    return tmp / "warehouse.duckdb"


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


# ---------------------------------------------------------------------------- the known process


@pytest.fixture(scope="module")
def known(tmp_path_factory):
    leads = conversion_leads(np.random.default_rng(11), FIRST_MONTH, 24, 300, HAZARDS)
    tmp = tmp_path_factory.mktemp("known")
    warehouse = tmp / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        store_targets(con, parse_targets(TARGETS, "targets.csv"), datetime(2025, 6, 15))
    # build: the models and their data tests (unique slices, interval order, gap rule, ...)
    build(tmp, conversion_events(leads), AS_OF, "+path:models/planning", command="build")
    return warehouse, leads


def _month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def true_expectation(leads, source: str | None, month: datetime) -> float:
    """Expected first purchases in `month` from the leads open at AS_OF, by the true hazards."""
    total = 0.0
    as_of_month = month_start(AS_OF.year, AS_OF.month)
    for lead in leads:
        if lead.lead_at > AS_OF or (lead.purchased_at is not None and lead.purchased_at <= AS_OF):
            continue
        if source is not None and lead.lead_source != source:
            continue
        age = _month_index(AS_OF) - _month_index(lead.lead_at)

        def h(a: int, hazards=HAZARDS[lead.lead_source]) -> float:
            return hazards[a] if a < len(hazards) else 0.0

        # The rest of the as_of month: a purchase drawn this month falls uniformly after max(lead, month start).
        earliest = max(lead.lead_at, as_of_month)
        end = month_start(AS_OF.year, AS_OF.month, 1)
        after = (end - AS_OF).total_seconds() / (end - earliest).total_seconds()
        survive = 1 - h(age) * after / (1 - h(age) * (1 - after))
        for k in range(1, _month_index(month) - _month_index(AS_OF) + 1):
            if k == _month_index(month) - _month_index(AS_OF):
                total += survive * h(age + k)
            survive *= 1 - h(age + k)
    return total


def happened(leads, source: str | None, month: datetime) -> int:
    return sum(
        1
        for lead in leads
        if lead.lead_at <= AS_OF
        and lead.purchased_at is not None
        and lead.purchased_at > AS_OF
        and (lead.purchased_at.year, lead.purchased_at.month) == (month.year, month.month)
        and (source is None or lead.lead_source == source)
    )


def test_forecast_is_close_to_the_truth_and_what_happened_is_inside_its_interval(known):
    warehouse, leads = known
    forecast = rows(
        warehouse,
        "select period_start, dimension_value, expected_new_customers, low, high from marts.conversion_forecast"
        " order by period_start, dimension_value nulls first",
    )
    months = sorted({row[0] for row in forecast})
    assert len(months) == 12 and months[0] == datetime(2025, 7, 1).date()
    assert len(forecast) == 12 * 3  # all, web, event

    inside = 0
    for period_start, source, expected, low, high in forecast:
        month = datetime(period_start.year, period_start.month, 1)
        truth = true_expectation(leads, source, month)
        # Hazards estimated from 18 months of 300 leads a source: within 12% (or 0.5 lead) of the truth.
        assert expected == pytest.approx(truth, rel=0.12, abs=0.5), (period_start, source, truth)
        assert 0 <= low <= expected <= high
        if month < datetime(2026, 1, 1) and source is None:  # the data goes to the end of 2025
            inside += low <= happened(leads, None, month) <= high
    # Six months with an 80% interval each: at least five inside (all six is the likeliest).
    assert inside >= 5


def test_backtest_actuals_are_what_the_open_leads_did(known):
    warehouse, leads = known
    backtest = rows(
        warehouse,
        "select origin_month, period_start, expected_new_customers, actual_new_customers"
        " from marts.forecast_backtest where dimension = 'all' order by 1, 2",
    )
    origins = sorted({row[0] for row in backtest})
    # 12 origins before June 2025, each with at least 4 months of leads; actuals only for complete months.
    assert origins[0] == datetime(2024, 6, 1).date() and origins[-1] == datetime(2025, 4, 1).date()
    assert max(row[1] for row in backtest) == datetime(2025, 5, 1).date()
    for origin, period_start, _, actual in backtest:
        end_of_origin = month_start(origin.year, origin.month, 1)
        expected_actual = sum(
            1
            for lead in leads
            if lead.lead_at < end_of_origin
            and lead.purchased_at is not None
            and lead.purchased_at >= end_of_origin
            and (lead.purchased_at.year, lead.purchased_at.month) == (period_start.year, period_start.month)
        )
        assert actual == expected_actual, (origin, period_start)
    one_ahead = [(e, a) for o, p, e, a in backtest if _month_index(p) - _month_index(o) == 1]
    mean_error = sum(abs(e - a) for e, a in one_ahead) / len(one_ahead)
    mean_actual = sum(a for _, a in one_ahead) / len(one_ahead)
    assert mean_error < 0.15 * mean_actual  # a stable process: one month ahead within 15% on average


def test_pacing_and_leads_needed_use_the_forecast(known):
    warehouse, leads = known
    pacing = {
        (row[0].isoformat(), row[1]): row[2:]
        for row in rows(
            warehouse,
            "select period_start, coalesce(dimension_value, 'all'), target, actual_to_date,"
            " expected_at_period_end, status from marts.target_pacing",
        )
    }
    june_actual = sum(
        1 for lead in leads if lead.purchased_at and datetime(2025, 6, 1) <= lead.purchased_at <= AS_OF
    )
    target, actual, expected, status = pacing[("2025-06-01", "all")]
    assert actual == june_actual
    rest_of_june = rows(
        warehouse,
        "select sum(expected) from intermediate.int_funnel_forecast where origin = 'as_of' and months_ahead = 0",
    )[0][0]
    assert expected == pytest.approx(june_actual + rest_of_june)
    assert status == (
        "ahead" if expected > 1.05 * target else "behind" if expected < 0.95 * target else "on_track"
    )

    # Jul-Sep: nothing yet; the funnel gives what the forecast says for those three months.
    forecast_q3 = dict(
        rows(
            warehouse,
            "select coalesce(dimension_value, 'all'), sum(expected_new_customers) from marts.conversion_forecast"
            " where period_start between '2025-07-01' and '2025-09-01' group by 1",
        )
    )
    for slice_ in ("all", "web"):
        assert pacing[("2025-07-01", slice_)][1] == 0
        assert pacing[("2025-07-01", slice_)][2] == pytest.approx(forecast_q3[slice_])

    needed = {
        row[0]: row[1:]
        for row in rows(
            warehouse,
            "select coalesce(dimension_value, 'all'), target, customers_to_date, expected_from_funnel, gap,"
            " conversion_by_period_end, leads_needed from marts.leads_needed where period_start = '2025-07-01'",
        )
    }
    # The 'all' target has a row for the mix and for 'event'; 'web' is its own target's row.
    assert set(needed) == {"all", "web", "event"}
    target, customers, funnel, gap, conversion, leads_needed = needed["web"]
    assert (target, customers) == (90, 0) and funnel == pytest.approx(forecast_q3["web"])
    assert gap == pytest.approx(90 - forecast_q3["web"]) and gap > 0
    # A web lead created at as_of buys in Jul-Sep with (1 - rest of June) * P(ages 1-3), true hazards.
    h = HAZARDS["web"]
    rest = 15.5 / 30 * h[0]
    truth = (1 - rest) * (h[1] + (1 - h[1]) * h[2] + (1 - h[1]) * (1 - h[2]) * h[3])
    assert conversion == pytest.approx(truth, rel=0.12)
    assert leads_needed == pytest.approx(gap / conversion)
    assert needed["event"][0] == 300 and needed["event"][4] < conversion  # event leads convert slower
    assert math.isclose(needed["all"][3], max(0.0, 300 - forecast_q3["all"]), rel_tol=1e-9)


# ---------------------------------------------------------------------------- metric alerts

DROP_MONTH = 17  # June 2025, month 17 from January 2024


def _offers(win_rate) -> list[dict]:
    return offer_events(np.random.default_rng(5), FIRST_MONTH, 24, 150, win_rate)


@pytest.fixture(scope="module")
def drop_alerts(tmp_path_factory):
    events = _offers(lambda month: 0.3 if month >= DROP_MONTH else 0.6)
    warehouse = build(tmp_path_factory.mktemp("drop"), events, datetime(2026, 1, 1), "+metric_alerts")
    return rows(warehouse, "select metric, period_start, dimension, score, message from marts.metric_alerts")


@pytest.fixture(scope="module")
def stable_alerts(tmp_path_factory):
    warehouse = build(tmp_path_factory.mktemp("stable"), _offers(lambda month: 0.6), datetime(2026, 1, 1),
                      "+metric_alerts")  # fmt: skip
    return rows(warehouse, "select metric, period_start, dimension, score, message from marts.metric_alerts")


def test_a_planted_drop_of_the_win_rate_alerts_once(drop_alerts, stable_alerts):
    # Before the drop both data sets are the same draws: any alert there is a chance alarm of both.
    def overall(alerts):
        return {row[1]: row for row in alerts if row[0] == "offer_loss_rate" and row[2] == "all"}

    drop, stable = overall(drop_alerts), overall(stable_alerts)
    assert {month for month in drop if month < datetime(2025, 6, 1).date()} == set(stable) - {
        month for month in stable if month >= datetime(2025, 6, 1).date()
    }
    # The turn alerts in its month, and once: the months after it continue it.
    after = sorted(month for month in drop if month >= datetime(2025, 6, 1).date())
    assert after == [datetime(2025, 6, 1).date()], drop
    _, _, _, score, message = drop[after[0]]
    assert score >= 3.0
    assert message.startswith("offer_loss_rate (all) rose to ") and "% of 150 in 2025-06, against " in message


def test_stable_data_raises_at_most_one_alert_for_the_overall_slice(stable_alerts):
    last_six = [row for row in stable_alerts if row[2] == "all" and row[1] >= datetime(2025, 7, 1).date()]
    assert len(last_six) <= 1, last_six


def test_summary_and_report_show_the_plan(known):
    warehouse, _ = known
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = plan_lines(con)
        plan = read_plan(con, forecast_months=12)
        metric_values = con.execute("select * from marts.metric_values").df()
    assert lines[0] == "Plan as of 2025-06-15 (targets: SALES_TARGETS_FILE; docs/decisions.md):"
    assert any(line.startswith("  2025-06-01..2025-06-30 new_customers (all): ") for line in lines)
    forecast = lines.index("Expected new customers from the leads open now (80% interval):")
    assert [line.split(":")[0] for line in lines[forecast + 1 : forecast + 4]] == [
        "  Jul 2025",
        "  Aug 2025",
        "  Sep 2025",
    ]
    web = next(
        line for line in lines if line.startswith("  2025-07-01..2025-09-30 lead_source web: target 90")
    )
    assert " new leads (" in web and "% of leads created now convert within the period)" in web
    mix = next(line for line in lines if line.startswith("  2025-07-01..2025-09-30 all: target 300"))
    assert "; or leads of one source alone: event " in mix  # web has its own target

    page = build_report_html(metric_values, plan=report_plan(plan))
    assert '<section id="plan" class="plan">' in page and "Leads needed for the new-customer targets" in page
    assert page.count("<td>Jul 2025</td>") == 1 and "<td>Jun 2026</td>" in page  # 12 forecast months
