"""The HTML report: its numbers from hand-made metric_values, and the page in real headless Chromium
(no console errors, ten charts, a screenshot)."""

from __future__ import annotations

import re
import shutil
from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.metrics_catalog import METRIC_KEYS, METRICS
from dagster_project.lib.report.build import (
    ReportContext,
    build_report_html,
    headlines,
    headlines_markdown,
    report_data,
    write_report,
)
from dagster_project.lib.serving import publish
from tests import headless

MONTHS = [date(2025, m, 1) for m in range(1, 7)]  # January to June; as_of in June
AS_OF = datetime(2025, 6, 15, 9, 30)
CONTEXT = ReportContext(as_of=AS_OF, latest_complete_month=date(2025, 5, 1))
LEAD_METRICS = {"days_to_customer", "prospect_conversion_rate", "never_engaged_rate"}
ODD_REP = "</script><b>rep & co</b>"  # must stay text, in the JSON and on the page


def sample_metric_values() -> pd.DataFrame:
    """Ten metrics by month, for all, two reps (60/40) and, for lead metrics, two lead sources.
    Counts grow by 10 a month, rates by 2 points, means by 0.1; referral_6m_rate has no mature
    cohort after February (denominator 0: value null)."""
    rows = []
    for metric in METRICS:
        for i, month in enumerate(MONTHS):
            if metric.kind == "count":
                numerator, denominator = 100.0 + 10 * i, None
            elif metric.kind == "rate":
                numerator, denominator = 10.0 + i, 50.0
                if metric.key == "referral_6m_rate" and i >= 2:
                    numerator, denominator = 0.0, 0.0
            else:
                numerator, denominator = 30.0 + i, 10.0
            slices = [("all", None, 1.0), ("rep_id", "r-1", 0.6), ("rep_id", "r-2", 0.4)]
            if metric.key in LEAD_METRICS:
                slices += [("lead_source", "webinar", 0.5), ("lead_source", "referral", 0.5)]
            if metric.key == "conversations":
                slices.append(("rep_id", ODD_REP, 0.1))
            for dimension, value, share in slices:
                num = numerator * share
                den = None if denominator is None else denominator * share
                result = num if den is None else (num / den if den else None)
                rows.append((metric.key, month, dimension, value, num, den, result))
    columns = ["metric", "period_start", "dimension", "dimension_value", "numerator", "denominator", "value"]
    return pd.DataFrame(rows, columns=columns)


def test_headlines_take_the_latest_mature_month_against_the_one_before():
    items = {h.metric: h for h in headlines(sample_metric_values(), CONTEXT)}
    assert list(items) == list(METRIC_KEYS)

    conversations = items["conversations"]  # June is still running: May against April
    assert (conversations.period_start, conversations.value, conversations.previous_value) == (
        date(2025, 5, 1), 140.0, 130.0,
    )  # fmt: skip
    assert conversations.change == 10.0 and conversations.change_ratio == pytest.approx(10 / 130)

    # Leads of March to May have had less than 90 days to convert: February is the latest mature month.
    rate = items["prospect_conversion_rate"]
    assert rate.period_start == date(2025, 2, 1) and rate.value == pytest.approx(11 / 50)
    assert rate.change == pytest.approx(0.02) and (rate.point.numerator, rate.point.denominator) == (
        11.0,
        50.0,
    )
    assert items["never_engaged_rate"].period_start == date(2025, 4, 1)  # 30 days: April's leads are through

    referral = items["referral_6m_rate"]  # no cohort is six months old: its latest value so far, not compared
    assert (referral.period_start, referral.value, referral.partial, referral.change) == (
        date(2025, 2, 1), 0.22, True, None,
    )  # fmt: skip
    assert items["days_to_customer"].small and not rate.small  # 10 customers: too few to read a trend

    table = headlines_markdown(list(items.values()))
    assert "| 1 | Conversations | May 2025 | 140 |  | 130 | +10 (+7.7%) |" in table
    assert "| 6 | Prospect conversion rate | Feb 2025 | 22.0% | 11 / 50 | 20.0% | +2.0 pp |" in table
    assert "| 5 | Days to customer | May 2025 | 3.4 days | 34 / 10 | 3.3 days | +0.1 (+3.0%) |" in table
    assert "| 10 | Referral within 6 months | Feb 2025 (partial) | 22.0% | 11 / 50 | n/a | n/a |" in table


def test_without_as_of_the_last_month_in_the_data_is_the_running_one():
    conversations = headlines(sample_metric_values())[0]
    assert conversations.period_start == date(2025, 5, 1)


def test_with_only_the_running_month_its_value_so_far_is_the_headline():
    frame = sample_metric_values()
    first = headlines(frame[frame["period_start"] == date(2025, 6, 1)], CONTEXT)[0]
    assert (first.period_start, first.value, first.partial, first.change) == (
        date(2025, 6, 1),
        150.0,
        True,
        None,
    )
    assert "| 1 | Conversations | Jun 2025 (partial) | 150 |  | n/a | n/a |" in headlines_markdown([first])


def test_partial_months_are_marked_for_the_chart():
    data = report_data(sample_metric_values(), CONTEXT)
    partial = {m["key"]: m["partial"] for m in data["metrics"]}
    assert partial["conversations"] == [False] * 5 + [True]  # only June, still running
    assert partial["prospect_conversion_rate"] == [False, False, True, True, True, True]
    assert data["running_month"] == "2025-06-01"


def test_the_page_is_self_contained_and_its_data_cannot_escape_the_script():
    page = build_report_html(sample_metric_values(), CONTEXT)
    assert "default-src 'none'" in page  # the browser may load nothing
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page), "no URL but the SVG namespace"
    assert "<link" not in page and "@import" not in page
    assert ODD_REP not in page and "\\u003c/script\\u003e" in page
    assert page.count("<script") == 3  # the error hook, the data, the drawing


@pytest.fixture(scope="session")
def chromium() -> str:
    """Headless Chromium, installed (Debian package `chromium`) if missing."""
    try:
        return headless.ensure_chromium()
    except Exception as error:  # CI has network to Debian: a failed install is a failure
        pytest.fail(f"Chromium is needed to test the report and could not be installed: {error}")


def _charts(dom: str) -> list[str]:
    return re.findall(r'<svg class="chart"[^>]*>', dom)


def _errors(dom: str) -> list[str]:
    """What the page's error hook wrote into the DOM (script errors, console.error, blocked loads)."""
    return re.findall(r'<p class="report-error">(.*?)</p>', dom)


def test_the_report_renders_ten_charts_without_errors_in_chromium(tmp_path, chromium):
    page = tmp_path / "index.html"
    page.write_text(build_report_html(sample_metric_values(), CONTEXT), encoding="utf-8")

    dom = headless.dump_dom(page)
    assert 'data-render-status="ok"' in dom
    assert not _errors(dom) and '<div id="report-errors"' not in dom
    charts = _charts(dom)
    assert len(charts) == 10
    assert all('data-slice="All"' in chart for chart in charts)
    for metric in METRICS:  # each card: its title, headline and one-line definition
        assert metric.definition.replace("&", "&amp;") in dom
    assert "140" in dom and "+10 (+7.7%)" in dom and "+2.0 pp" in dom
    assert "Rep: &lt;/script&gt;&lt;b&gt;rep &amp; co&lt;/b&gt;" in dom  # the odd rep is an option, as text

    by_rep = headless.dump_dom(page, fragment="rep_id=r-1")
    assert 'data-slice="rep_id=r-1"' in by_rep and not _errors(by_rep)
    assert sum('data-slice="Rep r-1"' in chart for chart in _charts(by_rep)) == 10
    by_source = headless.dump_dom(page, fragment="lead_source=webinar")
    labels = [re.search(r'data-slice="([^"]*)"', chart).group(1) for chart in _charts(by_source)]
    assert labels.count("Lead source webinar") == 3 and labels.count("All") == 7
    assert "not broken down by lead source" in by_source

    png = headless.screenshot(page, tmp_path / "report.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_the_error_marker_catches_script_errors_and_blocked_loads(tmp_path, chromium):
    """The check above is only as good as its detector: break a page on purpose."""
    broken = build_report_html(sample_metric_values(), CONTEXT).replace(
        "</body>",
        '<img src="https://example.invalid/pixel.png"><script>notDefinedAnywhere();</script></body>',
    )
    page = tmp_path / "broken.html"
    page.write_text(broken, encoding="utf-8")
    dom = headless.dump_dom(page)
    errors = _errors(dom)
    assert any("notDefinedAnywhere" in e for e in errors), errors
    assert any(e.startswith("blocked") and "example.invalid" in e for e in errors), errors


def test_the_report_is_built_from_the_published_snapshot_without_the_warehouse(tmp_path, chromium):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.register("frame", sample_metric_values())
        con.execute("create schema marts; create table marts.metric_values as select * from frame")
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_as_of as select timestamp '2025-06-15 09:30:00' as as_of,"
            " date '2025-06-01' as as_of_month, date '2025-05-01' as latest_complete_month,"
            " timestamp '2025-06-15 09:30:00' as latest_occurred_at"
        )
    serving = tmp_path / "serving"
    published = publish.publish_marts(warehouse, serving, run_id="run-42", switch_margin_s=0.1)
    shutil.move(warehouse, tmp_path / "gone.duckdb")  # the report must not need it

    result = write_report(serving)
    assert result.path == serving / "report" / "index.html"
    assert result.snapshot == published.snapshot
    assert result.context.as_of == AS_OF and result.context.run_id == "run-42"
    assert result.headlines[0].value == 140.0
    dom = headless.dump_dom(result.path)
    assert len(_charts(dom)) == 10 and not _errors(dom)
    assert "2025-06-15 09:30 UTC" in dom and "run-42" in dom and published.snapshot.name in dom


def test_an_empty_serving_folder_has_no_report(tmp_path):
    with pytest.raises(FileNotFoundError, match="No published snapshot"):
        write_report(tmp_path / "serving")


def test_odd_values_do_not_break_the_numbers():
    frame = sample_metric_values()
    frame.loc[frame["metric"] == "offer_loss_rate", ["value", "numerator", "denominator"]] = None
    page = build_report_html(frame, ReportContext())
    assert "NaN" not in page  # JSON null, not NaN
    items = {h.metric: h for h in headlines(frame)}
    assert items["offer_loss_rate"].value is None and items["offer_loss_rate"].period_start is None
