"""The daily history of the metric values (lib/history.py, defs/history/): a real pipeline run over a
handful of hand-made events, then partitions materialized through the history code location's job.

Two leads; contact c-1 has connected sales calls on Jan 5, 10 and 20, c-2 one on Jan 15 (2025). The
conversations of January as they stood at the end of each day are counted by hand below.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dagster_project.lib.history import SCRATCH_SUFFIX, TABLE, live_as_of_day
from tests.conftest import warehouse_settings, write_jsonl


def _event(event_id: str, event_type: str, contact: str, day: int, **more) -> dict:
    return {"event_id": event_id, "event_type": event_type, "contact_id": contact, "rep_id": "r-1",
            "occurred_at": f"2025-01-{day:02d}T12:00:00Z", **more}  # fmt: skip


def _call(event_id: str, contact: str, day: int) -> dict:
    return _event(event_id, "call", contact, day, direction="outbound", purpose="sales", outcome="connected")


EVENTS = [
    _event("l-1", "lead_created", "c-1", 2, lead_source="web"),
    _event("l-2", "lead_created", "c-2", 3, lead_source="event"),
    _call("k-1", "c-1", 5),
    _call("k-2", "c-1", 10),
    _call("k-3", "c-2", 15),
    _call("k-4", "c-1", 20),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory, definitions, dagster_instance):
    """One pipeline run over the events; the history job of the second code location."""
    root = tmp_path_factory.mktemp("history")
    write_jsonl(root / "landing" / "events.jsonl", EVENTS)
    warehouse = root / "warehouse.duckdb"
    resource = warehouse_settings(root / "landing", warehouse, landing_settle_seconds="0")
    definitions.resolve_job_def("refresh_sales_metrics").execute_in_process(
        instance=dagster_instance, resources={"warehouse": resource}
    )
    from dagster_project.history_definitions import defs as history_defs

    job = history_defs.resolve_job_def("record_metric_history")

    def record(day: str):
        return job.execute_in_process(
            instance=dagster_instance, partition_key=day, resources={"warehouse": resource}
        )

    return warehouse, record


def _history(warehouse, day: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select as_of, how, metric, period_start, dimension, dimension_value, numerator, denominator,"
            f" value from {TABLE} where as_of_date = ? order by all",
            [date.fromisoformat(day)],
        ).fetchall()


def _january_conversations(rows: list[tuple]) -> float:
    [value] = [r[8] for r in rows if r[2] == "conversations" and r[4] == "all" and r[3] == date(2025, 1, 1)]
    return value


def _marts(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select * from marts.metric_values order by all").fetchall()


def test_the_live_day_is_a_copy_of_the_marts(built):
    warehouse, record = built
    assert live_as_of_day(warehouse) == date(2025, 1, 20)
    result = record("2025-01-20")
    rows = _history(warehouse, "2025-01-20")
    assert {r[1] for r in rows} == {"copied"}
    assert sorted(r[2:] for r in rows) == _marts(warehouse)
    assert _january_conversations(rows) == 4
    metadata = result.asset_materializations_for_node("history__metric_values_daily")[0].metadata
    assert metadata["dagster/row_count"].value == len(rows)


def test_a_past_day_is_recomputed_as_it_stood_and_the_marts_are_untouched(built):
    warehouse, record = built
    before = _marts(warehouse)
    record("2025-01-07")  # as of the Jan 5 call: one conversation so far
    record("2025-01-12")  # as of the Jan 10 call: two
    past, later = _history(warehouse, "2025-01-07"), _history(warehouse, "2025-01-12")
    assert {r[1] for r in past + later} == {"recomputed"}
    assert {str(r[0]) for r in past} == {"2025-01-05 12:00:00"}
    assert _january_conversations(past) == 1
    assert _january_conversations(later) == 2
    assert _marts(warehouse) == before  # the live marts are never rebuilt for the history
    with duckdb.connect(str(warehouse), read_only=True) as con:
        scratch = con.execute(
            "select count(*) from information_schema.schemata where schema_name like ?",
            [f"%{SCRATCH_SUFFIX}"],
        ).fetchone()[0]
    assert scratch == 0


def test_a_day_is_replaced_not_duplicated_and_a_day_before_any_event_is_empty(built):
    warehouse, record = built
    record("2025-01-20")
    first = _history(warehouse, "2025-01-20")
    record("2025-01-20")
    assert _history(warehouse, "2025-01-20") == [r for r in first]  # same rows, once
    record("2024-12-31")
    assert _history(warehouse, "2024-12-31") == []


def test_the_history_is_its_own_code_location_so_the_main_one_needs_no_partition(definitions):
    from dagster_project.history_definitions import defs as history_defs

    partitioned = [spec.key.path for spec in history_defs.resolve_all_asset_specs() if spec.partitions_def]
    assert partitioned == [["history", "metric_values_daily"]]
    assert all(spec.partitions_def is None for spec in definitions.resolve_all_asset_specs())
    assert [s.name for s in history_defs.schedules] == ["record_metric_history_schedule"]
