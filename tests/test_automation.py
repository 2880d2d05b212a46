"""The landing sensor, the dbt arguments and the settings, evaluated without a run."""

from __future__ import annotations

import json
import os

import dagster as dg
import pytest

from dagster_project.defs.automation.sensors import landing_files_sensor
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.dbt_build import dbt_build_args, dbt_vars
from dagster_project.lib.settings import Settings, SettingsError, parse_as_of
from tests.conftest import write_jsonl


def evaluate(landing, cursor: str | None):
    context = dg.build_sensor_context(
        cursor=cursor, resources={"warehouse": WarehouseResource(landing_dir=str(landing))}
    )
    return landing_files_sensor(context), context.cursor


def test_sensor_requests_a_run_for_new_or_changed_files_only(tmp_path):
    landing = tmp_path / "landing"
    result, cursor = evaluate(landing, None)
    assert isinstance(result, dg.SkipReason)  # no folder yet

    write_jsonl(landing / "a b" / "one.jsonl", [{"event_id": "1"}])
    result, cursor = evaluate(landing, cursor)
    assert isinstance(result, dg.RunRequest) and result.tags["sales/new_files"] == "1"
    assert json.loads(cursor).keys() == {"a b/one.jsonl"}

    result, cursor_again = evaluate(landing, cursor)
    assert isinstance(result, dg.SkipReason) and cursor_again == cursor

    (landing / "ignored.txt").write_text("x")
    write_jsonl(landing / "two.jsonl", [{"event_id": "2"}])
    os.utime(landing / "a b" / "one.jsonl", ns=(1, 1))  # touched: fingerprint changed
    result, cursor = evaluate(landing, cursor)
    assert isinstance(result, dg.RunRequest) and result.tags["sales/new_files"] == "2"


def test_as_of_parsing_and_dbt_vars(tmp_path):
    assert parse_as_of("2025-06-15") == parse_as_of("2025-06-15T00:00:00Z")
    assert parse_as_of("2025-06-15T02:30:00+02:00").isoformat() == "2025-06-15T00:30:00"
    warehouse = tmp_path / "w.duckdb"
    plain = dbt_build_args(dbt_vars(Settings.from_values(warehouse=str(warehouse))))
    assert plain == [
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--vars",
        json.dumps(
            {"warehouse": str(warehouse), **Settings.from_values(warehouse=str(warehouse)).duckdb.dbt_vars()}
        ),
    ]
    as_of = dbt_build_args(
        dbt_vars(Settings.from_values(warehouse=str(warehouse), as_of="2025-06-15T12:00:00+02:00"))
    )
    assert (
        json.loads(as_of[-1]).items() >= {"warehouse": str(warehouse), "as_of": "2025-06-15 10:00:00"}.items()
    )


@pytest.mark.parametrize(
    ("field", "value", "variable"),
    [
        ("as_of", "30/06/2025", "SALES_AS_OF"),
        ("max_reject_share", "5%", "SALES_MAX_REJECT_SHARE"),
        ("max_reject_share", "1.5", "SALES_MAX_REJECT_SHARE"),
        ("warehouse", " ", "SALES_WAREHOUSE"),
    ],
)
def test_a_bad_setting_names_its_variable_its_value_and_the_accepted_forms(field, value, variable):
    with pytest.raises(SettingsError) as raised:
        Settings.from_values(**{field: value})
    message = str(raised.value)
    assert message.startswith(f"{variable}={value!r} is not valid: expected ")
    assert raised.value.variable == variable


def test_outputs_follow_their_warehouse(tmp_path):
    settings = Settings.from_values(warehouse=str(tmp_path / "elsewhere" / "w.duckdb"))
    assert settings.serving_dir == tmp_path / "elsewhere" / "serving"
    assert settings.data_docs_dir == tmp_path / "elsewhere" / "data_docs"
    assert settings.publish_dir == settings.serving_dir
    dated = Settings.from_values(warehouse=str(tmp_path / "w.duckdb"), as_of="2025-06-30")
    assert dated.publish_dir == tmp_path / "serving" / "as_of" / "2025-06-30"
    relative = Settings.from_values(landing_dir="data/landing")
    assert relative.landing_dir.is_absolute() and relative.landing_dir.parts[-2:] == ("data", "landing")


def test_the_sensor_starts_nothing_for_files_a_run_already_loaded(tmp_path):
    """`make run`, then `make dev`: the sensor's first tick finds the ledger already holds the file."""
    from dagster_project.lib.ingestion.loader import load_landing_dir

    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    write_jsonl(landing / "loaded.jsonl", [{"event_id": "1"}])
    load_landing_dir(landing, warehouse)
    context = dg.build_sensor_context(
        cursor=None,
        resources={"warehouse": WarehouseResource(landing_dir=str(landing), warehouse=str(warehouse))},
    )
    assert isinstance(landing_files_sensor(context), dg.SkipReason)
    assert json.loads(context.cursor).keys() == {"loaded.jsonl"}

    write_jsonl(landing / "new.jsonl", [{"event_id": "2"}])
    os.utime(landing / "loaded.jsonl")  # touched after its load: its content decides, in the run
    request = landing_files_sensor(
        dg.build_sensor_context(
            cursor=context.cursor,
            resources={"warehouse": WarehouseResource(landing_dir=str(landing), warehouse=str(warehouse))},
        )
    )
    assert isinstance(request, dg.RunRequest) and request.tags["sales/new_files"] == "2"
