"""The landing sensor and the dbt arguments, evaluated without a run."""

from __future__ import annotations

import json
import os

import dagster as dg

from dagster_project.defs.automation.sensors import landing_files_sensor
from dagster_project.defs.dbt.assets import dbt_build_args
from dagster_project.settings import Settings, parse_as_of
from tests.conftest import pipeline_env, write_jsonl


def evaluate(cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor)
    return landing_files_sensor(context), context.cursor


def test_sensor_requests_a_run_for_new_or_changed_files_only(tmp_path):
    landing = tmp_path / "landing"
    with pipeline_env(SALES_LANDING_DIR=str(landing)):
        result, cursor = evaluate(None)
        assert isinstance(result, dg.SkipReason)  # no folder yet

        write_jsonl(landing / "a b" / "one.jsonl", [{"event_id": "1"}])
        result, cursor = evaluate(cursor)
        assert isinstance(result, dg.RunRequest) and result.tags["sales/new_files"] == "1"
        assert json.loads(cursor).keys() == {"a b/one.jsonl"}

        result, cursor_again = evaluate(cursor)
        assert isinstance(result, dg.SkipReason) and cursor_again == cursor

        (landing / "ignored.txt").write_text("x")
        write_jsonl(landing / "two.jsonl", [{"event_id": "2"}])
        os.utime(landing / "a b" / "one.jsonl", ns=(1, 1))  # touched: fingerprint changed
        result, cursor = evaluate(cursor)
        assert isinstance(result, dg.RunRequest) and result.tags["sales/new_files"] == "2"


def test_as_of_parsing_and_dbt_vars():
    assert parse_as_of("2025-06-15") == parse_as_of("2025-06-15T00:00:00Z")
    assert parse_as_of("2025-06-15T02:30:00+02:00").isoformat() == "2025-06-15T00:30:00"
    with pipeline_env(SALES_AS_OF=None):
        assert dbt_build_args(Settings.from_env()) == ["build", "--exclude-resource-type", "unit_test"]
    with pipeline_env(SALES_AS_OF="2025-06-15T12:00:00+02:00"):
        assert dbt_build_args(Settings.from_env())[-2:] == ["--vars", '{"as_of": "2025-06-15 10:00:00"}']
