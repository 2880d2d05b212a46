"""A load over the reject limit is held out of the marts until it is resolved: it stays held over
later runs, a corrected file under the same name supersedes it, or someone releases it on purpose.
Every run says so; the one alert is the run that began the hold. Real Dagster runs, real DuckDB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import dagster as dg
import duckdb
import pytest

from dagster_project.lib.report.summary import summary_lines
from tests.conftest import warehouse_settings, write_jsonl

CALL = {
    "event_type": "call",
    "contact_id": "c-1",
    "rep_id": "r-1",
    "direction": "outbound",
    "outcome": "busy",
}
START = datetime(2025, 1, 1, 9)


def calls(prefix: str, n: int, day: int = 0) -> list[dict]:
    return [
        {
            **CALL,
            "event_id": f"{prefix}{i}",
            "occurred_at": (START + timedelta(days=day, hours=i)).isoformat(),
        }
        for i in range(n)
    ]


BAD_DAY1 = calls("a", 18) + [
    "not json",
    {**CALL, "event_id": "bad", "occurred_at": "yesterday"},
]  # 10% rejected
FIXED_DAY1 = calls("a", 18) + [{**CALL, "event_id": "bad", "occurred_at": START.isoformat()}]


@pytest.fixture
def pipeline(tmp_path, definitions, dagster_instance):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    job = definitions.resolve_job_def("refresh_sales_metrics")

    def run() -> dg.ExecuteInProcessResult:
        result = job.execute_in_process(
            instance=dagster_instance, resources={"warehouse": warehouse_settings(landing, warehouse)}
        )
        assert result.success  # a run over malformed rows succeeds
        return result

    return landing, warehouse, run


def staged_ids(warehouse) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            r[0] for r in con.execute("select event_id from staging.stg_sales_events order by 1").fetchall()
        ]


def reject_share_passed(result: dg.ExecuteInProcessResult) -> bool:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == "gx_raw_reject_share"]
    return evaluation.passed


def test_a_held_load_stays_held_over_later_runs_until_a_corrected_file_supersedes_it(tmp_path, pipeline):
    landing, warehouse, run = pipeline
    write_jsonl(landing / "day1.jsonl", BAD_DAY1)
    first = run()
    assert not reject_share_passed(first)  # the one ERROR (alerted) is the run that began the hold
    assert staged_ids(warehouse) == []  # the held load's 18 good rows stay out

    write_jsonl(landing / "day2.jsonl", calls("b", 20, day=1))
    second = run()
    third = run()  # nothing new
    assert reject_share_passed(second)  # no second alert
    # Nothing new: the raw checks do not run again (their last results stand).
    assert not [e for e in third.get_asset_check_evaluations() if e.check_name.startswith("gx_raw")]
    assert staged_ids(warehouse) == [f"b{i}" for i in sorted(range(20), key=str)]

    # Every run says so: the summary's first line, the run's metadata, the report, the Data Docs.
    first_line = summary_lines(warehouse)[0]
    assert first_line.startswith("HELD: load 1 (day1.jsonl) is held out of the marts since ")
    assert "rejected 2 of 20 rows (10.0%)" in first_line and "holds release 1" in first_line
    [holds] = [e.materialization.metadata["active_holds"].value for e in third.get_asset_materialization_events()
               if e.materialization.asset_key.path == ["raw", "load_holds"]]  # fmt: skip
    assert "| 1 | day1.jsonl |" in holds
    report = (tmp_path / "serving" / "report" / "index.html").read_text()
    assert 'id="held-loads"' in report and "load 1 (day1.jsonl)" in report
    docs = json.loads((tmp_path / "data_docs" / "checks.json").read_text())
    assert docs["notices"] and "load 1 (day1.jsonl)" in docs["notices"][0]
    assert "Held out of the marts" in (tmp_path / "data_docs" / "index.html").read_text()

    write_jsonl(landing / "day1.jsonl", FIXED_DAY1)  # the corrected file, under the same name
    run()
    assert len(staged_ids(warehouse)) == 19 + 20 and "bad" in staged_ids(warehouse)
    assert not summary_lines(warehouse)[0].startswith("HELD")
    docs = json.loads((tmp_path / "data_docs" / "checks.json").read_text())
    assert docs["notices"] == []


def test_a_hold_is_released_on_purpose_by_the_job_or_the_command(
    tmp_path, pipeline, definitions, dagster_instance
):
    landing, warehouse, run = pipeline
    write_jsonl(landing / "day1.jsonl", BAD_DAY1)
    write_jsonl(landing / "other.jsonl", ["oops"] * 3)  # a second file of the same bad load
    run()
    assert staged_ids(warehouse) == []

    env = {**os.environ, "SALES_WAREHOUSE": str(warehouse)}
    command = [sys.executable, "-m", "dagster_project.holds"]
    listed = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    assert listed.count("is held out of the marts") == 2
    refused = subprocess.run([*command, "release", "99"], env=env, capture_output=True, text=True)
    assert refused.returncode == 1 and "Load 99 is not held (active holds: 1, 2)." in refused.stderr
    released = subprocess.run([*command, "release", "2", "--note", "empty file"], env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
    assert "Released load 2 (other.jsonl)" in released.stdout

    job = definitions.resolve_job_def("release_held_load")
    job.execute_in_process(
        instance=dagster_instance,
        resources={"warehouse": warehouse_settings(landing, warehouse)},
        run_config={"ops": {"release_load": {"config": {"load_id": 1, "note": "checked by hand"}}}},
    )
    run()  # nothing new was loaded: the release alone rebuilds the marts
    assert len(staged_ids(warehouse)) == 18
    with duckdb.connect(str(warehouse), read_only=True) as con:
        notes = con.execute("select load_id, release_note from raw.load_holds order by 1").fetchall()
    assert notes[0][1].startswith("checked by hand (run ") and notes[1] == (2, "empty file")
