"""What `make run` shows a person: `python -m dagster_project.run` as a real process, on a temporary
instance and warehouse: a line per stage, the summary, the log file; a bad setting stops it at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import write_jsonl

CALL = {
    "event_type": "call",
    "contact_id": "c-1",
    "rep_id": "r-1",
    "direction": "outbound",
    "outcome": "busy",
}


def run(tmp_path, **env: str) -> subprocess.CompletedProcess:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SALES_LANDING_DIR": str(tmp_path / "landing"),
        "SALES_WAREHOUSE": str(tmp_path / "w" / "warehouse.duckdb"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_run_tells_a_short_story_and_keeps_the_full_log(tmp_path):
    rows = [
        {**CALL, "event_id": f"e{i}", "occurred_at": f"2025-0{1 + i % 3}-1{i % 9}T10:00:00Z"}
        for i in range(30)
    ]
    write_jsonl(tmp_path / "landing" / "calls.jsonl", [*rows, "not json"])
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    story = lines[: lines.index("") if "" in lines else len(lines)]
    assert len(story) <= 12, story
    assert any("Loaded 1 new file(s): 31 rows read, 30 accepted, 1 rejected" in line for line in story)
    assert any(line.strip().startswith("dbt: 37 models built") for line in story)
    assert any("dbt: full refresh, every model from all history: no complete build" in line for line in story)
    assert any("Checks (raw): " in line for line in story), story
    assert any(line.strip().startswith("Published 17 tables") for line in story)
    assert any("History 2025-03-18: " in line and "copied" in line for line in story), story
    assert "Rows read: 31  accepted: 30  rejected: 1  staged events: 30" in done.stdout
    assert "DEBUG" not in done.stdout and "Warning" not in done.stdout and not done.stderr
    log_file = lines[-1].removeprefix("Full logs: ")
    log = open(log_file, encoding="utf-8").read()
    assert "STEP_SUCCESS" in log and "Running dbt command" in log  # everything is in the file

    # Nothing new: no file read, so neither GX nor dbt starts; the day's history is copied again.
    again = run(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Loaded nothing new" in again.stdout
    assert "Checks (raw): no new file, nothing to check." in again.stdout
    assert "dbt: nothing changed since the last complete build" in again.stdout
    assert "History 2025-03-18: " in again.stdout


def test_a_bad_setting_stops_the_run_at_once_naming_the_variable(tmp_path):
    began = time.monotonic()
    done = run(tmp_path, SALES_AS_OF="30/06/2025")
    assert done.returncode == 2 and time.monotonic() - began < 20
    assert done.stderr.strip() == (
        "Not started: SALES_AS_OF='30/06/2025' is not valid: expected an ISO date (2025-06-30) or "
        "timestamp (2025-06-30T18:00:00, with or without an offset)."
    )
    assert not (tmp_path / "w").exists()  # no work was done
