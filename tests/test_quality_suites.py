"""The Great Expectations suites (data_quality/): each fails on a crafted bad table and passes on a
good one. Real DuckDB files (raw DDL of the loader, hand-made staging and mart tables), real GX."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingestion.raw_schema import ensure_raw_schema
from dagster_project.lib.metrics_catalog import METRIC_KEYS as METRICS
from dagster_project.lib.metrics_catalog import RATE_METRIC_KEYS as RATE_METRICS
from data_quality.checks import CHECKS_BY_LAYER, MART_CHECKS, RAW_CHECKS, STAGING_CHECKS
from data_quality.context import CheckContext

NOW = datetime(2025, 3, 20, 12, 0)
RUN = "run-1"

# --- building small warehouses -------------------------------------------------------------------

RAW_EVENT = {
    "event_id": None, "event_type": "call", "occurred_at": None, "contact_id": "c-1", "rep_id": "r-1",
    "lead_source": None, "direction": "outbound", "purpose": None, "outcome": "connected", "offer_id": None,
    "amount": None, "referred_contact_id": None, "is_valid": None, "updated_at": None, "raw_record": "{}",
    "source_file": "f.jsonl", "row_number": 1, "load_id": 1, "loaded_at": NOW,
}  # fmt: skip

STAGED_COLUMNS = {
    "event_id": "varchar", "event_type": "varchar", "occurred_at": "timestamp", "contact_id": "varchar",
    "rep_id": "varchar", "lead_source": "varchar", "direction": "varchar", "purpose": "varchar",
    "outcome": "varchar", "offer_id": "varchar", "amount": "double", "referred_contact_id": "varchar",
    "is_valid": "boolean", "updated_at": "timestamp", "source_file": "varchar", "load_id": "bigint",
}  # fmt: skip

METRIC_COLUMNS = {
    "metric": "varchar", "period_start": "date", "dimension": "varchar", "dimension_value": "varchar",
    "numerator": "double", "denominator": "double", "value": "double",
}  # fmt: skip


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict]) -> None:
    if rows:
        columns = list(rows[0])
        con.register("new_rows", pd.DataFrame(rows, columns=columns))  # one insert, not one per row
        con.execute(f"insert into {table} ({', '.join(columns)}) select * from new_rows")
        con.unregister("new_rows")


def create(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    con.execute(f"create schema if not exists {table.split('.')[0]}")
    con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in columns.items())})")


def warehouse(
    tmp_path: Path,
    events: list[dict] = (),
    files: list[dict] = (),
    rejected: int = 0,
    staged: list[dict] | None = None,
    metric_values: list[dict] | None = None,
) -> Path:
    """A DuckDB file with the raw layer (loader DDL) and, if given, staging and mart tables."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_raw_schema(con)
        insert(con, "raw.sales_events", [{**RAW_EVENT, **e} for e in events])
        insert(con, "raw.loaded_files", files)
        con.execute(
            "insert into raw.rejected_events select 'a.jsonl', range + 1, '{\"event_id\": null}', "
            "'missing event_id', 1, ?::timestamp from range(?)",
            [NOW, rejected],
        )
        if staged is not None:
            create(con, "staging.stg_sales_events", STAGED_COLUMNS)
            insert(con, "staging.stg_sales_events", [{**dict.fromkeys(STAGED_COLUMNS), **e} for e in staged])
        if metric_values is not None:
            create(con, "marts.metric_values", METRIC_COLUMNS)
            insert(con, "marts.metric_values", metric_values)
    return path


def loaded_file(load_id: int, read: int, rejected: int, run_id: str = RUN, status: str = "loaded") -> dict:
    return {
        "load_id": load_id, "source_file": f"file-{load_id}.jsonl", "file_hash": f"h{load_id}",
        "file_format": "jsonl", "size_bytes": 100, "rows_read": read, "rows_accepted": read - rejected,
        "rows_rejected": rejected, "status": status,
        "error": "InvalidInputException: not JSON" if status == "failed" else None, "run_id": run_id,
        "loaded_at": NOW,
    }  # fmt: skip


def run(layer: str, path: Path, tmp_path: Path, docs: bool = False, **ctx) -> dict:
    """Run a layer's checks (with Data Docs in tmp_path/docs if asked); return outcomes by check name."""
    from data_quality.runner import run_checks

    context = CheckContext(**{"run_id": RUN, "now": NOW, "as_of": None, "max_reject_share": 0.05, **ctx})
    outcomes = run_checks(CHECKS_BY_LAYER[layer], path, context, docs_dir=tmp_path / "docs" if docs else None)
    return {o.check.name: o for o in outcomes}


def failed(outcomes: dict) -> set[str]:
    return {name for name, outcome in outcomes.items() if not outcome.passed}


# --- raw -------------------------------------------------------------------------------------------


def steady_events(days: int, per_day: int = 10, last_day_count: int | None = None) -> list[dict]:
    """`per_day` events on each of `days` days ending the day before NOW's date; the checked day
    (the day before the latest) gets `last_day_count` events."""
    end = NOW.date() - timedelta(days=1)  # the latest day with events (left out as partial)
    checked = end - timedelta(days=1)
    events = []
    for offset in range(days):
        day = end - timedelta(days=offset)
        count = last_day_count if (day == checked and last_day_count is not None) else per_day
        for i in range(count):
            events.append(
                {"event_id": f"{day}-{i}", "occurred_at": datetime.combine(day, datetime.min.time())}
            )
    return events


def test_raw_layer_passes_on_a_good_load(tmp_path):
    path = warehouse(
        tmp_path, steady_events(40), [loaded_file(1, 200, 4), loaded_file(2, 200, 6)], rejected=10
    )
    outcomes = run("raw", path, tmp_path, docs=True)
    assert failed(outcomes) == set()
    share = outcomes["gx_raw_reject_share"]
    assert share.frame.at[0, "reject_share"] == pytest.approx(10 / 400)
    assert share.data_docs_page is not None and share.data_docs_page.exists()


def test_reject_share_above_the_limit_fails_and_says_how_many_rows(tmp_path):
    path = warehouse(
        tmp_path, steady_events(40), [loaded_file(1, 100, 2), loaded_file(2, 100, 9)], rejected=11
    )
    outcome = run("raw", path, tmp_path)["gx_raw_reject_share"]
    assert not outcome.passed and outcome.check.severity == "ERROR"
    [failure] = outcome.failures
    assert failure.column == "reject_share" and failure.rule == "between 0.0 and 0.05"
    assert failure.unexpected_rows[0]["reject_share"] == pytest.approx(0.055)
    assert outcome.affected_rows == 11
    assert "SALES_MAX_REJECT_SHARE" in outcome.summary and "affected rows: 11" in outcome.summary
    assert set(outcome.samples) == {"files_of_this_load", "top_reject_reasons", "sample_rejected_rows"}
    assert outcome.samples["top_reject_reasons"].at[0, "reason"] == "missing event_id"


def test_reject_share_limit_is_inclusive_and_configurable(tmp_path):
    path = warehouse(tmp_path, steady_events(40), [loaded_file(1, 200, 10)])
    assert run("raw", path, tmp_path)["gx_raw_reject_share"].passed  # exactly 5%: not above
    path = warehouse(tmp_path / "b", steady_events(40), [loaded_file(1, 200, 30)])
    assert not run("raw", path, tmp_path)["gx_raw_reject_share"].passed
    assert run("raw", path, tmp_path, max_reject_share=0.2)["gx_raw_reject_share"].passed


def test_reject_share_counts_only_this_runs_load(tmp_path):
    files = [loaded_file(1, 100, 90, run_id="an-earlier-run"), loaded_file(2, 100, 1)]
    path = warehouse(tmp_path, steady_events(40), files)
    outcome = run("raw", path, tmp_path)["gx_raw_reject_share"]
    assert outcome.passed and outcome.frame.at[0, "rows_read"] == 100


def test_a_run_that_loaded_nothing_passes_and_says_so(tmp_path):
    path = warehouse(tmp_path, steady_events(40), [loaded_file(1, 100, 90, run_id="an-earlier-run")])
    outcomes = run("raw", path, tmp_path)
    for name in ("gx_raw_reject_share", "gx_raw_failed_files"):
        assert outcomes[name].passed and "loaded no file" in outcomes[name].note


def test_a_file_that_failed_to_parse_warns(tmp_path):
    path = warehouse(
        tmp_path, steady_events(40), [loaded_file(1, 100, 0), loaded_file(2, 0, 0, status="failed")]
    )
    outcomes = run("raw", path, tmp_path)
    assert failed(outcomes) == {"gx_raw_failed_files"}
    outcome = outcomes["gx_raw_failed_files"]
    assert outcome.check.severity == "WARN"
    assert outcome.failures[0].unexpected_rows[0]["source_file"] == "file-2.jsonl"
    assert "not JSON" in outcome.summary


def test_events_dated_in_the_future_warn(tmp_path):
    future = [
        {"event_id": f"x{i}", "occurred_at": NOW + timedelta(days=3), "source_file": "late.jsonl"}
        for i in range(2)
    ]
    path = warehouse(tmp_path, steady_events(40) + future, [loaded_file(1, 100, 0)])
    outcomes = run("raw", path, tmp_path)
    assert failed(outcomes) == {"gx_raw_future_events"}
    outcome = outcomes["gx_raw_future_events"]
    assert outcome.affected_rows == 2
    assert outcome.failures[0].unexpected_rows[0]["source_file"] == "late.jsonl"
    assert list(outcome.samples["sample_future_events"]["event_id"]) == ["x0", "x1"]


def test_a_sudden_drop_in_daily_volume_warns(tmp_path):
    path = warehouse(tmp_path, steady_events(40, per_day=10, last_day_count=4), [loaded_file(1, 100, 0)])
    outcomes = run("raw", path, tmp_path)
    assert failed(outcomes) == {"gx_raw_daily_volume"}
    outcome = outcomes["gx_raw_daily_volume"]
    assert outcome.frame.iloc[0][["events", "baseline_mean", "ratio_to_baseline"]].tolist() == [4, 10.0, 0.4]
    assert outcome.frame.at[0, "day"] == str(NOW.date() - timedelta(days=2))
    daily = outcome.samples["daily_events"]
    assert (daily["role"] == "checked").sum() == 1 and daily["role"].str.contains("baseline").sum() == 4


def test_half_the_usual_volume_is_not_a_drop(tmp_path):
    path = warehouse(tmp_path, steady_events(40, per_day=10, last_day_count=5), [loaded_file(1, 100, 0)])
    assert run("raw", path, tmp_path)["gx_raw_daily_volume"].passed


def test_volume_needs_four_weeks_of_history(tmp_path):
    path = warehouse(tmp_path, steady_events(20, last_day_count=0), [loaded_file(1, 100, 0)])
    outcome = run("raw", path, tmp_path)["gx_raw_daily_volume"]
    assert outcome.passed and "Not enough history" in outcome.note


# --- staging ---------------------------------------------------------------------------------------


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 1, day, hour)


GOOD_STAGED = [
    {"event_id": "e1", "event_type": "lead_created", "occurred_at": at(1), "contact_id": "c1", "lead_source": "webinar"},
    {"event_id": "e2", "event_type": "lead_qualified", "occurred_at": at(2), "contact_id": "c1"},
    {"event_id": "e3", "event_type": "call", "occurred_at": at(3), "contact_id": "c1", "direction": "outbound", "outcome": "voicemail"},
    {"event_id": "e4", "event_type": "email", "occurred_at": at(4), "contact_id": "c1", "direction": "inbound"},
    {"event_id": "e5", "event_type": "meeting", "occurred_at": at(5), "contact_id": "c1", "outcome": "held", "purpose": "support"},
    {"event_id": "e6", "event_type": "offer_sent", "occurred_at": at(6), "contact_id": "c1", "offer_id": "o1", "amount": 100.0},
    {"event_id": "e7", "event_type": "offer_sent", "occurred_at": at(6), "contact_id": "c1", "offer_id": "o2", "amount": 0.0},
    {"event_id": "e8", "event_type": "offer_lost", "occurred_at": at(7), "contact_id": "c1", "offer_id": "o2"},
    {"event_id": "e9", "event_type": "purchase", "occurred_at": at(8), "contact_id": "c1", "offer_id": "o1", "amount": 100.0},
    {"event_id": "e10", "event_type": "purchase", "occurred_at": at(9), "contact_id": "c1", "amount": 20.0},
    {"event_id": "e11", "event_type": "referral", "occurred_at": at(10), "contact_id": "c1", "referred_contact_id": "c2", "is_valid": True},
]  # fmt: skip


def staged(rows: list[dict]) -> list[dict]:
    return [
        {"purpose": "sales", "lead_source": "unknown", "source_file": "f.jsonl", "load_id": 1, **r}
        for r in rows
    ]


def changed(event_id: str, **values) -> list[dict]:
    return [{**row, **values} if row["event_id"] == event_id else row for row in GOOD_STAGED]


def test_staging_layer_passes_on_good_events(tmp_path):
    outcomes = run("staging", warehouse(tmp_path, staged=staged(GOOD_STAGED)), tmp_path)
    assert failed(outcomes) == set()
    assert outcomes["gx_staging_accepted_values"].evaluated == 5


BAD_STAGING = {
    "duplicate event_id": (GOOD_STAGED + [GOOD_STAGED[2]], "gx_staging_unique_event_id"),
    "missing contact_id": (changed("e3", contact_id=None), "gx_staging_required_fields"),
    "missing purpose": (changed("e3", purpose=None), "gx_staging_required_fields"),
    "call without outcome": (changed("e3", outcome=None), "gx_staging_required_fields"),
    "purchase without amount": (changed("e10", amount=None), "gx_staging_required_fields"),
    "unknown event_type": (changed("e2", event_type="sms"), "gx_staging_accepted_values"),
    "unknown direction": (changed("e4", direction="sideways"), "gx_staging_accepted_values"),
    "unknown purpose": (changed("e4", purpose="marketing"), "gx_staging_accepted_values"),
    "meeting outcome on a call": (changed("e3", outcome="held"), "gx_staging_accepted_values"),
    "call outcome on a meeting": (changed("e5", outcome="connected"), "gx_staging_accepted_values"),
    "negative amount": (changed("e10", amount=-5.0), "gx_staging_amounts_non_negative"),
    "offer_lost of an unsent offer": (changed("e8", offer_id="o9"), "gx_staging_offer_references"),
    "purchase of an unsent offer": (changed("e9", offer_id="o9"), "gx_staging_offer_references"),
}


@pytest.mark.parametrize("case", BAD_STAGING)
def test_each_staging_expectation_fails_on_its_bad_rows(tmp_path, case):
    rows, check = BAD_STAGING[case]
    outcomes = run("staging", warehouse(tmp_path, staged=staged(rows)), tmp_path)
    assert failed(outcomes) == {check}
    outcome = outcomes[check]
    assert outcome.failures and outcome.unexpected_count >= 1
    assert any(len(sample) for sample in outcome.samples.values()), "a sample of the offending rows"


def test_staging_failures_name_the_value_and_the_rows_it_stands_for(tmp_path):
    rows = changed("e2", event_type="sms") + [{**GOOD_STAGED[1], "event_id": "e99", "event_type": "sms"}]
    outcome = run("staging", warehouse(tmp_path, staged=staged(rows)), tmp_path)["gx_staging_accepted_values"]
    [failure] = outcome.failures
    assert failure.column == "event_type" and failure.unexpected_rows == [{"event_type": "sms", "events": 2}]
    assert failure.affected_rows == 2
    missing = run("staging", warehouse(tmp_path / "b", staged=staged(changed("e3", outcome=None))), tmp_path)[
        "gx_staging_required_fields"
    ]
    assert missing.failures[0].unexpected_rows == [{"missing": 1, "field": "outcome", "required_for": "call"}]
    assert missing.samples["sample_events_missing_a_field"].at[0, "event_id"] == "e3"
    assert (
        "staged once"
        in run(
            "staging",
            warehouse(tmp_path / "c", staged=staged(BAD_STAGING["duplicate event_id"][0])),
            tmp_path,
        )["gx_staging_unique_event_id"].summary
    )


# --- marts -----------------------------------------------------------------------------------------

MONTHS = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
EVENTS_UNTIL_MARCH = staged(
    [
        {
            "event_id": "a",
            "event_type": "lead_created",
            "occurred_at": datetime(2025, 1, 5),
            "contact_id": "c",
        },
        {
            "event_id": "b",
            "event_type": "lead_qualified",
            "occurred_at": datetime(2025, 3, 10),
            "contact_id": "c",
        },
    ]
)


def metric_row(metric: str, month: date, dimension="all", value_of=None, **values) -> dict:
    rate = metric in RATE_METRICS
    row = {
        "metric": metric, "period_start": month, "dimension": dimension,
        "dimension_value": None if dimension == "all" else "r-1",
        "numerator": 3.0, "denominator": 4.0 if rate else None, "value": 0.75 if rate else 3.0,
    }  # fmt: skip
    return {**row, **values}


def good_metrics() -> list[dict]:
    return [metric_row(m, month, d) for m in METRICS for month in MONTHS for d in ("all", "rep_id")]


def with_row(match: dict, **values) -> list[dict]:
    rows = good_metrics()
    for row in rows:
        if all(row[k] == v for k, v in match.items()):
            row.update(values)
    return rows


def test_marts_pass_on_good_metric_values(tmp_path):
    path = warehouse(tmp_path, staged=EVENTS_UNTIL_MARCH, metric_values=good_metrics())
    outcomes = run("marts", path, tmp_path)
    assert failed(outcomes) == set()
    latest = outcomes["gx_marts_latest_month_complete"].frame
    assert set(latest["period_start"]) == {"2025-02-01"} and len(latest) == 10


OFFER_LOSS_FEB = {"metric": "offer_loss_rate", "period_start": MONTHS[1], "dimension": "rep_id"}
BAD_MARTS = {
    "rate above 1": (with_row(OFFER_LOSS_FEB, value=1.25), "gx_marts_rates_within_0_1"),
    "rate below 0": (with_row(OFFER_LOSS_FEB, value=-0.5), "gx_marts_rates_within_0_1"),
    "numerator above denominator": (with_row(OFFER_LOSS_FEB, numerator=5.0), "gx_marts_numerator_within_denominator"),
    "rate without denominator": (with_row(OFFER_LOSS_FEB, denominator=None), "gx_marts_numerator_within_denominator"),
    "metric missing in the latest complete month": (
        [r for r in good_metrics() if not (r["metric"] == "referral_6m_rate" and r["period_start"] == MONTHS[1])],
        "gx_marts_latest_month_complete",
    ),
    "two all rows": (good_metrics() + [metric_row("conversations", MONTHS[1])], "gx_marts_latest_month_complete"),
    "unknown metric key": (good_metrics() + [metric_row("calls_per_day", MONTHS[1])], "gx_marts_latest_month_complete"),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_MARTS)
def test_each_mart_expectation_fails_on_its_bad_rows(tmp_path, case):
    rows, check = BAD_MARTS[case]
    outcomes = run("marts", warehouse(tmp_path, staged=EVENTS_UNTIL_MARCH, metric_values=rows), tmp_path)
    assert failed(outcomes) == {check}
    assert outcomes[check].unexpected_count >= 1


def test_mart_failures_name_the_metric_and_sample_the_rows(tmp_path):
    rows = with_row(OFFER_LOSS_FEB, value=1.25)
    outcome = run("marts", warehouse(tmp_path, staged=EVENTS_UNTIL_MARCH, metric_values=rows), tmp_path)[
        "gx_marts_rates_within_0_1"
    ]
    [failure] = outcome.failures
    assert failure.unexpected_rows == [
        {"highest_value": 1.25, "metric": "offer_loss_rate", "dimension": "rep_id", "rows_out_of_range": 1}
    ]
    assert outcome.samples["sample_rates_out_of_range"].at[0, "value"] == 1.25
    missing = BAD_MARTS["metric missing in the latest complete month"][0]
    outcome = run(
        "marts", warehouse(tmp_path / "b", staged=EVENTS_UNTIL_MARCH, metric_values=missing), tmp_path
    )["gx_marts_latest_month_complete"]
    assert outcome.failures[0].unexpected_rows == [
        {"all_rows": 0, "period_start": "2025-02-01", "metric": "referral_6m_rate"}
    ]


def test_latest_complete_month_follows_sales_as_of(tmp_path):
    rows = [r for r in good_metrics() if r["period_start"] != MONTHS[0]]  # January missing
    path = warehouse(tmp_path, staged=EVENTS_UNTIL_MARCH, metric_values=rows)
    assert run("marts", path, tmp_path)["gx_marts_latest_month_complete"].passed
    as_of_february = run("marts", path, tmp_path, as_of=datetime(2025, 2, 15))[
        "gx_marts_latest_month_complete"
    ]
    assert not as_of_february.passed and set(as_of_february.frame["period_start"]) == {"2025-01-01"}


def test_no_complete_month_yet_passes_and_says_so(tmp_path):
    events = [{**EVENTS_UNTIL_MARCH[1], "event_id": "only"}]
    outcome = run("marts", warehouse(tmp_path, staged=events, metric_values=[]), tmp_path)[
        "gx_marts_latest_month_complete"
    ]
    assert outcome.passed and "no complete month" in outcome.note


# --- the catalog ---------------------------------------------------------------------------------


def test_every_check_has_a_suite_whose_columns_its_aggregate_has(tmp_path):
    """Suites and aggregates are separate files: their column names must agree."""
    from data_quality.suites import SUITES

    assert set(SUITES) == {c.name for c in RAW_CHECKS + STAGING_CHECKS + MART_CHECKS}
    path = warehouse(
        tmp_path,
        steady_events(40),
        [loaded_file(1, 100, 1)],
        staged=staged(GOOD_STAGED),
        metric_values=good_metrics(),
    )
    context = CheckContext(run_id=RUN, now=NOW, as_of=datetime(2025, 3, 10), max_reject_share=0.05)
    with duckdb.connect(str(path), read_only=True) as con:
        for check in RAW_CHECKS + STAGING_CHECKS + MART_CHECKS:
            frame = check.aggregate(con, context)
            suite = SUITES[check.name]()
            assert suite.name == check.name
            columns = {e.column for e in suite.expectations} | set(check.index_columns)
            assert columns <= set(frame.columns), check.name
            assert all(e.description for e in suite.expectations), check.name
