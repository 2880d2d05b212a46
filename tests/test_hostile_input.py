"""Plausible time or a reason, and no crash downstream of anything the loader accepted.

The hostile rows (tests/hostile_data.py) carry the extremes of every type: year 1, BC and year 9999
times, infinity, NaN and overflowing amounts, the largest double, 10,000-character and non-Latin
strings, a nested object where a string belongs, 64-bit integers. Rows outside the plausible time
range are rejected with a reason; as_of comes from the accepted rows only; the whole graph (dbt, every
Great Expectations suite, publishing, the report) runs through without a failed step.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import pytest

from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.ingestion.plausible_time import TimeBounds
from dagster_project.lib.serving import publish
from dagster_project.lib.settings import Settings, SettingsError
from tests.hostile_data import LONG, REJECTED, write_hostile_landing


def reasons(warehouse) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select raw_record, reason from raw.rejected_events").fetchall()
    return {json.loads(record)["event_id"]: reason for record, reason in rows}


def test_times_outside_the_plausible_range_are_rejected_with_their_reason(tmp_path):
    now = datetime(2026, 5, 1, 12, 0)
    write_hostile_landing(tmp_path / "landing", now)
    bounds = TimeBounds.for_load(now=now)
    assert bounds == TimeBounds(datetime(2000, 1, 1), datetime(2026, 5, 2, 12, 0))
    results = load_landing_dir(tmp_path / "landing", tmp_path / "w.duckdb", time_bounds=bounds)
    assert [(r.source_file, r.status) for r in results] == [
        ("hostile.jsonl", "loaded"),
        ("hostile.parquet", "loaded"),
    ]
    assert all(r.rows_read == r.rows_accepted + r.rows_rejected for r in results)
    assert sum(r.rows_rejected for r in results) == len(REJECTED)

    found = reasons(tmp_path / "w.duckdb")
    assert found.keys() == REJECTED.keys()
    for event_id, start in REJECTED.items():
        assert found[event_id].startswith(start), (event_id, found[event_id])
    assert found["year-9999"] == (
        "occurred_at is after 2026-05-02 12:00:00 UTC, the load's time plus SALES_FUTURE_TOLERANCE_HOURS: "
        "9999-12-31T23:59:59Z"
    )
    assert (
        found["bc"]
        == "occurred_at is before 2000-01-01 00:00:00 UTC (SALES_EARLIEST_EVENT_TIME): -0001-06-01"
    )

    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        accepted = dict(con.execute("select event_id, occurred_at from raw.sales_events").fetchall())
    assert accepted["floor"] == datetime(2000, 1, 1)  # the bounds themselves are plausible
    assert accepted["soon"] == datetime(2026, 5, 2, 8, 0)  # 20 h ahead: inside the tolerance
    assert LONG in accepted and max(accepted.values()) == accepted["soon"]


def test_the_bounds_are_settings():
    settings = Settings.from_values(earliest_event_time="2020-01-01", future_tolerance_hours="0")
    assert (settings.earliest_event_time, settings.future_tolerance) == (datetime(2020, 1, 1), timedelta(0))
    with pytest.raises(SettingsError, match=r"^SALES_EARLIEST_EVENT_TIME='last year' is not valid"):
        Settings.from_values(earliest_event_time="last year")
    with pytest.raises(SettingsError, match=r"^SALES_FUTURE_TOLERANCE_HOURS='-1' is not valid"):
        Settings.from_values(future_tolerance_hours="-1")


def test_the_extremes_of_every_type_go_through_the_whole_graph(hostile_clean_run):
    landing, warehouse, result = hostile_clean_run
    failures = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert result.success and failures == []
    done = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS}
    assert {"raw_ingestion", "sales_dbt_models", "gx_raw_checks", "gx_reconciliation_checks",
            "serving__published_marts", "serving__metrics_report"} <= done  # fmt: skip

    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of, latest = con.execute("select as_of, latest_occurred_at from intermediate.int_as_of").fetchone()
        soon = con.execute("select occurred_at from raw.sales_events where event_id = 'soon'").fetchone()[0]
        months = con.execute(
            "select min(period_start), max(period_start) from marts.metric_values"
        ).fetchone()
        values = [
            v
            for (v,) in con.execute(
                "select value from marts.metric_values where value is not null"
            ).fetchall()
        ]
        biggest = con.execute("select max(amount) from staging.stg_sales_events").fetchone()[0]
    # as_of is the latest accepted event, never a rejected year-9999 one; months span the plausible range.
    assert as_of == latest == soon and soon < datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    assert months == (datetime(2000, 1, 1).date(), soon.date().replace(day=1))
    assert values and all(math.isfinite(v) for v in values)
    assert biggest == 1.7976931348623157e308

    serving = warehouse.parent / "serving"
    snapshot = publish.visible_snapshot(serving)
    assert publish.read_manifest(snapshot)["as_of"].startswith(soon.isoformat(sep=" ")[:16])
    page = (serving / "report" / "index.html").read_text(encoding="utf-8")
    assert snapshot.name in page and "9999" not in page.split("<script")[0]
