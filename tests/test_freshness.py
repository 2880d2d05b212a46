"""Staleness is an alert: the marts and the published output carry a freshness policy, and a stale one
fails its freshness check, which the alert sensor POSTs like any failed check.

History is written into a real instance (the marts last built 40 hours ago, the published output one
hour ago); the project's own freshness sensor asks for the checks, they run as the daemon's run would,
and the real alert sensor delivers to a loopback webhook.
"""

from __future__ import annotations

import logging
import shutil
import time
from datetime import timedelta

import dagster as dg
import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.instance.ref import InstanceRef

from dagster_project.defs.alerts.sensors import alert_failed_checks_sensor
from dagster_project.defs.freshness import FRESH_KEYS, PUBLISHED_KEYS
from dagster_project.defs.resources import AlertingResource
from dagster_project.defs.serving.assets import MART_KEYS
from dagster_project.lib.settings import REPO_ROOT, SettingsError, freshness_window
from tests.webhook_receiver import WebhookReceiver


def materialized(instance: dg.DagsterInstance, key: dg.AssetKey, hours_ago: float) -> None:
    """A past materialization in the instance's event log, as a run `hours_ago` would have left it."""
    event = DagsterEvent(
        DagsterEventType.ASSET_MATERIALIZATION.value,
        "refresh_sales_metrics",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization(key)),
    )
    instance.store_event(
        EventLogEntry(error_info=None, level=logging.INFO, user_message="", run_id="history",
                      timestamp=time.time() - hours_ago * 3600, dagster_event=event)
    )  # fmt: skip


def test_the_window_is_a_setting():
    assert freshness_window({}) == timedelta(hours=36)
    assert freshness_window({"SALES_FRESHNESS_HOURS": "0.5"}) == timedelta(minutes=30)
    with pytest.raises(SettingsError, match=r"^SALES_FRESHNESS_HOURS='0' is not valid"):
        freshness_window({"SALES_FRESHNESS_HOURS": "0"})


def test_stale_marts_are_posted_to_the_webhook_like_a_failed_check(tmp_path, definitions):
    graph = definitions.resolve_asset_graph()
    for key in FRESH_KEYS:
        assert graph.get(key).freshness_policy.fail_window.to_timedelta() == timedelta(hours=36)
    assert graph.get(dg.AssetKey(["raw", "sales_events"])).freshness_policy is None

    (tmp_path / "home").mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", tmp_path / "home")
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(tmp_path / "home"))) as instance:
        sensor = definitions.resolve_sensor_def("freshness_checks_sensor")
        context = dg.build_sensor_context(instance=instance, definitions=definitions)
        assert isinstance(sensor(context), dg.SkipReason)  # a new install: nothing can be stale yet
        for key in MART_KEYS:
            materialized(instance, key, hours_ago=40)
        for key in PUBLISHED_KEYS:
            materialized(instance, key, hours_ago=1)

        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=definitions))
        [request] = tick.run_requests
        assert {key.asset_key for key in request.asset_check_keys} == set(FRESH_KEYS)

        job = definitions.resolve_implicit_global_asset_job_def().get_subset(
            asset_check_selection=set(request.asset_check_keys)
        )
        run = job.execute_in_process(instance=instance, tags=request.tags)
        assert run.success  # a stale asset fails its check, not the run
        failed = {e.asset_key for e in run.get_asset_check_evaluations() if not e.passed}
        assert failed == set(MART_KEYS)

        with WebhookReceiver() as hook:
            context = dg.build_run_status_sensor_context(
                sensor_name="alert_failed_checks_sensor",
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(run.run_id),
                dagster_event=run.get_run_success_event(),
                resources={"alerting": AlertingResource(webhook_url=hook.url)},
            )
            alert_failed_checks_sensor(context)
            bodies = hook.wait_for(len(MART_KEYS), timeout=10)
    assert sorted(b["asset"] for b in bodies) == sorted(k.to_user_string() for k in MART_KEYS)
    body = next(b for b in bodies if b["asset"] == "marts/metric_values")
    assert (body["kind"], body["check"], body["severity"]) == ("check_failed", "freshness_check", "ERROR")
    assert body["description"].startswith(
        "Asset is overdue for an update. The last update was 1 day, 16 hours"
    )
