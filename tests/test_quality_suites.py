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


# --- staging: reconciled with raw --------------------------------------------------------------


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2025, 1, day, hour)


GOOD_STAGED = [
    {"event_id": "e1", "event_type": "lead_created", "occurred_at": at(1), "contact_id": "c1", "lead_source": "webinar"},
    {"event_id": "e2", "event_type": "lead_qualified", "occurred_at": at(2), "contact_id": "c1"},
    {"event_id": "e3", "event_type": "call", "occurred_at": at(3), "contact_id": "c1", "direction": "outbound", "outcome": "voicemail"},
    {"event_id": "e4", "event_type": "email", "occurred_at": at(4), "contact_id": "c1", "direction": "inbound"},
    {"event_id": "e5", "event_type": "meeting", "occurred_at": at(5), "contact_id": "c1", "outcome": "held", "purpose": "support"},
    {"event_id": "e6", "event_type": "email", "occurred_at": at(6), "contact_id": "c1", "direction": "outbound"},
    {"event_id": "e7", "event_type": "call", "occurred_at": at(7), "contact_id": "c1", "direction": "outbound", "outcome": "connected"},
    {"event_id": "e8", "event_type": "purchase", "occurred_at": at(8), "contact_id": "c1", "amount": 100.0},
    {"event_id": "e9", "event_type": "call", "occurred_at": at(9), "contact_id": "c1", "direction": "outbound", "outcome": "connected"},
    {"event_id": "e10", "event_type": "email", "occurred_at": at(10), "contact_id": "c1", "direction": "outbound"},
]  # fmt: skip
# Counted by hand from GOOD_STAGED up to as_of: conversations e4 (inbound email) + e7 + e9 (connected
# sales calls; e5 is support) = 3; prospect calls e3, e7 (e9 is after the purchase e8) = 2;
# prospecting emails e6 (e10 is after the purchase) = 1.
HAND_COUNTS = {"conversations": 3, "prospect_calls": 2, "prospecting_emails": 1}


def staged(rows: list[dict]) -> list[dict]:
    return [
        {"purpose": "sales", "lead_source": "unknown", "source_file": "f.jsonl", "load_id": 1, **r}
        for r in rows
    ]


def raw_rows(rows: list[dict]) -> list[dict]:
    """The staged events as accepted raw rows (a second delivery of e1 included: one event)."""
    keys = set(RAW_EVENT) & set(STAGED_COLUMNS)
    events = [{k: v for k, v in row.items() if k in keys} for row in staged(rows)]
    return events + [events[0]]


def test_staging_reconciles_with_raw_when_every_event_is_staged_once(tmp_path):
    path = warehouse(tmp_path, events=raw_rows(GOOD_STAGED), staged=staged(GOOD_STAGED))
    outcome = run("staging", path, tmp_path)["gx_staging_reconciles_with_raw"]
    assert outcome.passed, outcome.summary
    assert outcome.frame.iloc[0][["raw_event_ids", "staged_rows"]].tolist() == [10, 10]


@pytest.mark.parametrize(
    ("staged_rows", "column", "problem"),
    [
        (GOOD_STAGED[1:], "events_not_staged", "accepted in raw, not staged"),
        (GOOD_STAGED + [{**GOOD_STAGED[0], "event_id": "ghost"}], "events_not_in_raw", "staged, not in raw"),
        (GOOD_STAGED + [GOOD_STAGED[2]], "events_staged_twice", "staged 2 times"),
    ],
)
def test_staging_fails_on_a_lost_an_extra_or_a_doubled_event(tmp_path, staged_rows, column, problem):
    path = warehouse(tmp_path, events=raw_rows(GOOD_STAGED), staged=staged(staged_rows))
    outcome = run("staging", path, tmp_path)["gx_staging_reconciles_with_raw"]
    assert not outcome.passed
    [failure] = outcome.failures
    assert failure.column == column and failure.affected_rows == 1
    assert outcome.samples["sample_unreconciled_events"].at[0, "problem"] == problem


# --- marts: reconciled with staging ---------------------------------------------------------------

MONTHS = [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


def metric_row(metric: str, month: date, dimension="all", **values) -> dict:
    rate = metric in RATE_METRICS
    row = {
        "metric": metric, "period_start": month, "dimension": dimension,
        "dimension_value": None if dimension == "all" else "r-1",
        "numerator": 3.0, "denominator": 4.0 if rate else None, "value": 0.75 if rate else 3.0,
    }  # fmt: skip
    return {**row, **values}


def good_metrics(counts: dict[str, float] = HAND_COUNTS) -> list[dict]:
    """The counts of HAND_COUNTS in January (0 later), rep slices with other numbers, the rates."""
    rows = []
    for metric in METRICS:
        for month in MONTHS:
            count = counts.get(metric, 0.0) if month == MONTHS[0] else 0.0
            values = {"numerator": count, "value": count} if metric in counts else {}
            rows += [metric_row(metric, month, **values), metric_row(metric, month, "rep_id")]
    return rows


END_OF_JANUARY = datetime(2025, 1, 31)


def marts_warehouse(tmp_path: Path, metric_values: list[dict], as_of: datetime = END_OF_JANUARY) -> Path:
    path = warehouse(tmp_path, staged=staged(GOOD_STAGED), metric_values=metric_values)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_as_of as select ?::timestamp as as_of", [as_of])
    return path


def test_marts_reconcile_with_a_recount_from_staging(tmp_path):
    outcome = run("marts", marts_warehouse(tmp_path, good_metrics()), tmp_path)[
        "gx_marts_reconcile_with_staging"
    ]
    assert outcome.passed, outcome.summary
    assert dict(zip(outcome.frame["metric"], outcome.frame["staging_total"], strict=True)) == HAND_COUNTS


def test_a_count_that_differs_from_the_recount_fails_and_says_by_how_much(tmp_path):
    metric_values = good_metrics({**HAND_COUNTS, "prospect_calls": 3})
    outcome = run("marts", marts_warehouse(tmp_path, metric_values), tmp_path)[
        "gx_marts_reconcile_with_staging"
    ]
    assert not outcome.passed
    assert outcome.failures[0].unexpected_rows == [
        {"difference": 1, "metric": "prospect_calls", "marts_total": 3, "staging_total": 2}
    ]


def test_the_recount_stops_at_as_of(tmp_path):
    """As of 8 January 10:00 (the purchase): e9 and e10 are after it, the counts lose nothing else."""
    as_of_purchase = good_metrics({"conversations": 2, "prospect_calls": 2, "prospecting_emails": 1})
    outcome = run("marts", marts_warehouse(tmp_path, as_of_purchase, as_of=at(8)), tmp_path)
    assert outcome["gx_marts_reconcile_with_staging"].passed


# --- the catalog ---------------------------------------------------------------------------------


def test_every_check_has_a_suite_whose_columns_its_aggregate_has(tmp_path):
    """Suites and aggregates are separate files: their column names must agree."""
    from data_quality.suites import SUITES

    assert set(SUITES) == {c.name for c in RAW_CHECKS + STAGING_CHECKS + MART_CHECKS}
    path = marts_warehouse(tmp_path, good_metrics())
    with duckdb.connect(str(path)) as con:
        insert(con, "raw.sales_events", [{**RAW_EVENT, **e} for e in steady_events(40)])
        insert(con, "raw.loaded_files", [loaded_file(1, 100, 1)])
    context = CheckContext(run_id=RUN, now=NOW, as_of=datetime(2025, 3, 10), max_reject_share=0.05)
    with duckdb.connect(str(path), read_only=True) as con:
        for check in RAW_CHECKS + STAGING_CHECKS + MART_CHECKS:
            frame = check.aggregate(con, context)
            suite = SUITES[check.name]()
            assert suite.name == check.name
            columns = {e.column for e in suite.expectations} | set(check.index_columns)
            assert columns <= set(frame.columns), check.name
            assert all(e.description for e in suite.expectations), check.name
