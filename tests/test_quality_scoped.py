"""The staging reconciliation scoped to what changed (data_quality/aggregates/staging.py): a real DuckDB
file, loads appended and staged by hand the way an incremental build does (delete+insert on event_id,
batch_load_id), real GX. Counts are by hand: the scope is the ids of the newer loads and restaged rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from data_quality.aggregates.staging import CHECK
from data_quality.watermark import read_watermark
from tests.test_quality_suites import NOW, RAW_EVENT, STAGED_COLUMNS, create, insert, run

BATCHED = {**STAGED_COLUMNS, "batch_load_id": "bigint"}


def load(con: duckdb.DuckDBPyConnection, load_id: int, event_ids: list[str]) -> None:
    """A load of raw rows, one per event id."""
    rows = [
        {**RAW_EVENT, "event_id": e, "occurred_at": NOW, "load_id": load_id, "row_number": n}
        for n, e in enumerate(event_ids)
    ]
    insert(con, "raw.sales_events", rows)


def stage(con: duckdb.DuckDBPyConnection, batch: int, event_ids: list[str]) -> None:
    """What an incremental build does with these ids: their rows replaced by rows of this batch."""
    con.execute("delete from staging.stg_sales_events where list_contains(?, event_id)", [event_ids])
    insert(con, "staging.stg_sales_events", [{"event_id": e, "batch_load_id": batch} for e in event_ids])


def check(path: Path, tmp_path: Path):
    outcome = run("staging", path, tmp_path)[CHECK]
    row = outcome.frame.iloc[0]
    with duckdb.connect(str(path), read_only=True) as con:
        mark = read_watermark(con, CHECK)
    return outcome, row, mark


@pytest.fixture
def history(tmp_path) -> Path:
    """Load 1 (a1..a4) staged in batch 1, reconciled once (in full: no watermark yet)."""
    from data_quality.watermark import TABLE
    from tests.test_quality_suites import warehouse

    path = warehouse(tmp_path / "wh")
    with duckdb.connect(str(path)) as con:
        create(con, "staging.stg_sales_events", BATCHED)
        load(con, 1, ["a1", "a2", "a3", "a4"])
        stage(con, 1, ["a1", "a2", "a3", "a4"])
    outcome, row, mark = check(path, tmp_path)
    assert outcome.passed, outcome.summary
    assert row["scope"].startswith("every event id (no earlier passing reconciliation")
    assert (row["raw_event_ids"], row["staged_rows"]) == (4, 4)
    assert mark.load_id == 1 and mark.state["raw"]["rows"] == 4 and mark.state["staged"]["rows"] == 4
    with duckdb.connect(str(path)) as con:
        assert con.execute(f"select count(*) from {TABLE}").fetchone()[0] == 1
    return path


def next_day(path: Path, staged: list[str] | None = None) -> None:
    """Load 2: b1, b2 and a new version of a2; staged (by default) as an incremental build would."""
    with duckdb.connect(str(path)) as con:
        load(con, 2, ["b1", "b2", "a2"])
        stage(con, 2, ["b1", "b2", "a2"] if staged is None else staged)


def test_a_new_batch_is_checked_alone_and_moves_the_watermark(history, tmp_path):
    next_day(history)
    outcome, row, mark = check(history, tmp_path)
    assert outcome.passed, outcome.summary
    assert row["scope"] == "event ids of loads after 1 and rows staged since"
    # In the scope: b1, b2 and a2 (a new version); a1, a3, a4 are verified by their totals only.
    assert (row["raw_event_ids"], row["staged_rows"]) == (3, 3)
    assert mark.load_id == 2 and mark.state["raw"]["rows"] == 7 and mark.state["staged"]["rows"] == 6
    # And the next check after another load scopes from load 2.
    with duckdb.connect(str(history)) as con:
        load(con, 3, ["c1"])
        stage(con, 3, ["c1"])
    outcome, row, mark = check(history, tmp_path)
    assert outcome.passed and row["scope"].startswith("event ids of loads after 2")
    assert (row["raw_event_ids"], row["staged_rows"], mark.load_id) == (1, 1, 3)
    # Checked again with nothing new: an empty scope, every count 0, the same watermark.
    outcome, row, mark = check(history, tmp_path)
    assert outcome.passed and row["scope"].startswith("event ids of loads after 3")
    assert row.drop("scope").tolist() == [0, 0, 0, 0, 0] and mark.load_id == 3


@pytest.mark.parametrize(
    ("staged", "column"),
    [
        (["b1", "a2"], "events_not_staged"),  # b2 lost
        (["b1", "b2", "a2", "b2"], "events_staged_twice"),
        (["b1", "b2", "a2", "ghost"], "events_not_in_raw"),
    ],
)
def test_a_planted_problem_in_the_new_batch_is_caught_by_the_scoped_check(history, tmp_path, staged, column):
    next_day(history, staged)
    outcome, row, mark = check(history, tmp_path)
    assert not outcome.passed
    assert row["scope"].startswith("event ids of loads after 1")
    assert row[column] == 1 and outcome.failures[0].column == column
    assert mark.load_id == 1  # a failed check keeps the old watermark: the next one looks again


def test_a_planted_problem_outside_the_scope_makes_the_check_reconcile_every_id(history, tmp_path):
    """a3 (batch 1) vanishes from staging, as after a faulty rebuild: no scope contains it, the
    totals outside the scope no longer add up, and the full reconciliation finds it."""
    next_day(history)
    with duckdb.connect(str(history)) as con:
        con.execute("delete from staging.stg_sales_events where event_id = 'a3'")
    outcome, row, mark = check(history, tmp_path)
    assert not outcome.passed
    assert row["scope"] == (
        "every event id (the rows outside the scope are not as reconciled through load 1)"
    )
    assert (row["raw_event_ids"], row["staged_rows"], row["events_not_staged"]) == (6, 5, 1)
    assert outcome.samples["sample_unreconciled_events"].to_dict("records") == [
        {"event_id": "a3", "problem": "accepted in raw, not staged"}
    ]
    assert mark.load_id == 1


def test_a_hold_on_an_old_load_or_a_lost_raw_row_means_a_full_check(history, tmp_path):
    """Raw rows of loads through the watermark changed (a load held after it was reconciled): the
    old ids are no longer 'as reconciled', so every id is reconciled again (and a1..a4 now fail)."""
    next_day(history)
    with duckdb.connect(str(history)) as con:
        con.execute("create or replace view raw.held_load_ids as select 1::bigint as load_id")
    outcome, row, _ = check(history, tmp_path)
    assert row["scope"].startswith("every event id (the rows outside the scope")
    # Accepted: b1, b2, a2 (load 2); staged: those and a1, a3, a4 (not in raw any more).
    assert (row["raw_event_ids"], row["events_not_in_raw"]) == (3, 3) and not outcome.passed


def test_a_load_that_lands_after_the_build_keeps_the_watermark(history, tmp_path):
    """Load 2 is in raw but not staged yet, and corrects only a1 (already staged): the check passes,
    and keeps watermark 1, since staging has not read load 2."""
    with duckdb.connect(str(history)) as con:
        load(con, 2, ["a1"])
    outcome, row, mark = check(history, tmp_path)
    assert outcome.passed and (row["raw_event_ids"], row["staged_rows"]) == (1, 1)
    assert mark.load_id == 1


def test_staging_without_batch_load_id_is_reconciled_in_full(tmp_path):
    from tests.test_quality_suites import warehouse

    path = warehouse(tmp_path, events=[{"event_id": "a1", "occurred_at": NOW}], staged=[{"event_id": "a1"}])
    outcome, row, mark = check(path, tmp_path)
    assert outcome.passed and row["scope"].startswith("every event id (no earlier")
    assert mark is None  # nothing to scope the next check by
