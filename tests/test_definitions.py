"""What Dagster loads, pinned: a move that drops an asset, a check, a job, a schedule, a sensor or a
resource fails here. New definitions are added to these sets on purpose."""

from __future__ import annotations

import json

import dagster as dg

from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.metrics_catalog import METRIC_KEYS

ASSETS = {
    "raw/sales_events", "raw/rejected_events", "raw/loaded_files", "raw/load_holds",
    "staging/stg_sales_events",
    "intermediate/int_activities", "intermediate/int_as_of", "intermediate/int_customers",
    "intermediate/int_events", "intermediate/int_leads", "intermediate/int_months", "intermediate/int_offers",
    "intermediate/int_changed_keys",  # what the latest staging build changed (docs/scale.md)
    "intermediate/int_changed_events",  # the events of those keys, read once for all facts
    "intermediate/int_activity_days",  # metrics 1-3 counted by day and rep, what their marts sum
    *(f"marts/{key}" for key in METRIC_KEYS), "marts/metric_values",
    "serving/published_marts", "serving/metrics_report",
    # CRM extraction, off without credentials: one external asset each (docs/sources.md)
    "hubspot/canonical_events", "salesforce/canonical_events",
    # planning (docs/decisions.md)
    "raw/sales_targets", "raw/refused_targets", "staging/stg_sales_targets",
    "intermediate/int_lead_cohorts", "intermediate/int_forecast_origins", "intermediate/int_conversion_hazards",
    "intermediate/int_conversion_curves", "intermediate/int_funnel_forecast", "intermediate/int_target_facts",
    "intermediate/int_target_windows", "intermediate/int_alert_series",
    "marts/conversion_forecast", "marts/forecast_backtest", "marts/target_pacing", "marts/leads_needed",
    "marts/fiscal_periods", "marts/metric_alerts", "planning/metric_alert_deliveries",
}  # fmt: skip
GX_CHECKS = {
    ("raw/sales_events", "gx_raw_reject_share"),
    ("raw/sales_events", "gx_raw_failed_files"),
    ("raw/sales_events", "gx_raw_future_events"),
    ("raw/sales_events", "gx_raw_daily_volume"),
    ("staging/stg_sales_events", "gx_staging_reconciles_with_raw"),
    ("marts/metric_values", "gx_marts_reconcile_with_staging"),
}
# The planning checks in Python (dagster_project/defs/planning/): the targets file, the backtest.
PLANNING_CHECKS = {
    ("raw/sales_targets", "targets_file_lines_accepted"),
    ("marts/forecast_backtest", "forecast_backtest_error"),
}
JOBS = {"refresh_sales_metrics", "release_held_load"}
SCHEDULES = {"daily_refresh"}
SENSORS = {
    "landing_files_sensor",
    "alert_failed_checks_sensor",
    "alert_failed_runs_sensor",
    "alert_canceled_run_checks_sensor",
    "alert_retry_sensor",
    "recover_crashed_runs_sensor",
    "freshness_checks_sensor",
}
# Staleness checks (defs/freshness/) on the marts and the published output.
FRESHNESS_CHECKS = {
    *((f"marts/{key}", "freshness_check") for key in (*METRIC_KEYS, "metric_values")),
    ("serving/published_marts", "freshness_check"),
    ("serving/metrics_report", "freshness_check"),
}
RESOURCES = {"warehouse", "alerting", "planning", "engine", "dbt", "hubspot", "salesforce", "dlt"}


def test_the_assets_are_pinned(definitions):
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    assert keys == ASSETS


def test_the_great_expectations_checks_are_pinned(definitions):
    checks = definitions.resolve_asset_graph().asset_check_keys
    gx = {(key.asset_key.to_user_string(), key.name) for key in checks if key.name.startswith("gx_")}
    assert gx == GX_CHECKS


def test_every_dbt_test_of_a_model_is_a_check(definitions):
    """Each data test in the dbt manifest that tests one model appears as a check on that model."""
    manifest = json.loads(dbt_project().manifest_path.read_text())
    models = {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    expected = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("config", {}).get("enabled") is False:
            continue
        tested = [uid for uid in node["depends_on"]["nodes"] if uid in models]
        named = node["config"].get("meta", {}).get("dagster", {}).get("ref", {}).get("name")
        tested = [uid for uid in tested if models[uid]["name"] == named] if named else tested
        attached = node.get("attached_node") or (tested[0] if len(tested) == 1 else None)
        if attached in models:
            model = models[attached]
            expected.add((f"{model['schema']}/{model['name']}", node["name"]))
    checks = definitions.resolve_asset_graph().asset_check_keys
    others = {
        (k.asset_key.to_user_string(), k.name)
        for k in checks
        if not k.name.startswith("gx_") and k.name != "freshness_check"
    }
    assert PLANNING_CHECKS <= others
    dbt_checks = others - PLANNING_CHECKS
    assert len(expected) >= 35  # a rules test (key and rules) per model, one shape test per metric mart
    assert expected == dbt_checks


def test_the_freshness_checks_are_pinned(definitions):
    checks = definitions.resolve_asset_graph().asset_check_keys
    fresh = {(key.asset_key.to_user_string(), key.name) for key in checks if key.name == "freshness_check"}
    assert fresh == FRESHNESS_CHECKS


def test_jobs_schedules_sensors_and_resources_are_pinned(definitions):
    assert {job.name for job in definitions.resolve_all_job_defs()} - {"__ASSET_JOB"} == JOBS
    assert {schedule.name for schedule in definitions.schedules} == SCHEDULES
    assert {sensor.name for sensor in definitions.sensors} == SENSORS
    assert set(definitions.resources) == RESOURCES


def test_every_asset_is_described_and_owned(definitions):
    graph = definitions.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        spec = graph.get(key)
        assert spec.description, f"{key.to_user_string()} has no description"
        assert spec.owners, f"{key.to_user_string()} has no owner"


def test_every_check_is_described(definitions):
    specs = [spec for d in definitions.resolve_asset_graph().assets_defs for spec in d.check_specs]
    undescribed = sorted(spec.name for spec in specs if not spec.description)
    assert not undescribed, undescribed


def test_the_schedule_and_sensors_run_by_default(definitions):
    assert (
        definitions.resolve_schedule_def("daily_refresh").default_status == dg.DefaultScheduleStatus.RUNNING
    )
    for sensor in definitions.sensors:
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING, sensor.name
