"""The Dagster graph: definitions, and real in-process runs through ingestion and dbt."""

from __future__ import annotations

import dagster as dg
import duckdb

from dagster_project.lib.dbt_build import build_fingerprint
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.report.summary import summary_lines
from tests.conftest import write_jsonl

CALL = {"event_type": "call", "contact_id": "c-1", "rep_id": "r-1", "direction": "outbound"}


def test_definitions_hold_the_graph_schedule_and_sensor(definitions):
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert {"raw/sales_events", "raw/rejected_events", "raw/loaded_files", "staging/stg_sales_events"} <= keys
    schedule = definitions.resolve_schedule_def("daily_refresh")
    assert schedule.job_name == "refresh_sales_metrics"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = definitions.resolve_sensor_def("landing_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    # The dbt source is the ingestion asset: one connected graph.
    staging = definitions.resolve_asset_graph().get(dg.AssetKey(["staging", "stg_sales_events"]))
    assert dg.AssetKey(["raw", "sales_events"]) in staging.parent_keys


def test_late_file_and_corrected_event(tmp_path, run_pipeline):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write_jsonl(
        landing / "day1.jsonl",
        [
            {**CALL, "event_id": "a", "occurred_at": "2025-01-05T10:00:00Z", "outcome": "connected"},
            {**CALL, "event_id": "b", "occurred_at": "2025-01-06T10:00:00Z", "outcome": "no_answer",
             "updated_at": "2025-01-06T10:00:00Z"},
        ],
    )  # fmt: skip
    assert run_pipeline(landing, warehouse).success

    write_jsonl(
        landing / "late" / "day2.jsonl",
        [
            {**CALL, "event_id": "a", "occurred_at": "2025-01-05T10:00:00Z", "outcome": "connected"},
            {**CALL, "event_id": "b", "occurred_at": "2025-01-06T10:00:00Z", "outcome": "voicemail",
             "updated_at": "2025-01-07T08:00:00Z"},
            {**CALL, "event_id": "c", "occurred_at": "2025-01-07T10:00:00Z", "outcome": "busy"},
        ],
    )  # fmt: skip
    second = run_pipeline(landing, warehouse)
    assert second.success
    # The second build starts from the first one's parse state (same vars): dbt parses nothing again.
    [dbt_log] = (dbt_project().project_dir / "target").glob(f"sales_dbt_models-{second.run_id[:7]}-*/dbt.log")
    assert "Unable to do partial parsing" not in dbt_log.read_text()
    unchanged = run_pipeline(landing, warehouse)  # nothing new: loads nothing, rebuilds nothing
    assert unchanged.success
    rebuilt = {e.materialization.asset_key.path[0] for e in unchanged.get_asset_materialization_events()}
    assert rebuilt == {"raw"}

    # Anything the build depends on changes the fingerprint: new rows, other vars.
    manifest = dbt_project().manifest_path
    same = build_fingerprint(warehouse, {}, manifest)
    assert same == build_fingerprint(warehouse, {}, manifest)
    assert same != build_fingerprint(warehouse, {"as_of": "2025-01-06 00:00:00"}, manifest)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.sales_events").fetchone()[0] == 5
        assert con.execute("select count(*) from raw.loaded_files").fetchone()[0] == 2
        staged = con.execute("select event_id, outcome from staging.stg_sales_events order by 1").fetchall()
    assert staged == [("a", "connected"), ("b", "voicemail"), ("c", "busy")]


def test_materializations_carry_counts_in_metadata(tmp_path, run_pipeline):
    landing = tmp_path / "landing"
    good = [{**CALL, "event_id": f"e{i}", "occurred_at": f"2025-01-{i + 1:02d}T10:00:00Z", "outcome": "busy"}
            for i in range(20)]  # fmt: skip
    write_jsonl(landing / "f.jsonl", [*good, "oops"])  # 1 of 21 rejected: under the 5% limit
    result = run_pipeline(landing, tmp_path / "w.duckdb")
    by_key = {e.materialization.asset_key.to_user_string(): e.materialization.metadata
              for e in result.get_asset_materialization_events()}  # fmt: skip
    raw = by_key["raw/loaded_files"]
    assert (raw["rows_read"].value, raw["rows_accepted"].value, raw["rows_rejected"].value) == (21, 20, 1)
    assert by_key["staging/stg_sales_events"]["dagster/row_count"].value == 20
    # A model with post-hooks of its own reports its table after them (dbt/macros/table_metadata.sql).
    assert by_key["intermediate/int_customers"]["dagster/row_count"].value == 0
    assert "preview" in by_key["marts/prospect_calls"]
    columns = {c.name: c.type for c in by_key["marts/metric_values"]["dagster/column_schema"].value.columns}
    assert (
        columns["metric"] == "VARCHAR" and columns["period_start"] == "DATE" and columns["value"] == "DOUBLE"
    )
    assert by_key["raw/sales_events"]["dagster/column_schema"].value.columns[0].name == "event_id"
    assert by_key["marts/metric_values"]["dagster/row_count"].value > 0
    # A view (int_events: every staged event) shows its columns and preview, but no count: counting
    # would run its whole query again.
    events_view = by_key["intermediate/int_events"]
    assert "dagster/row_count" not in events_view and "event_id" in events_view["preview"].value

    printed = "\n".join(summary_lines(tmp_path / "w.duckdb"))
    assert "Rows read: 21  accepted: 20  rejected: 1" in printed
    # All 20 events are in January, the month of as_of: no count is complete, none is headlined as one.
    assert "1. Conversations" in printed and "Jan 2025  (partial: no month is mature yet)" in printed
