"""Staleness is an alert: freshness on the marts and the published output (docs/operations.md).

Two of Dagster's tools, with one window (SALES_FRESHNESS_HOURS, default 36 h):
- a `FreshnessPolicy` on each asset (`with_freshness_policies`): the UI shows it, and the daemon's
  freshness evaluation (`freshness: enabled` in dagster_home/dagster.yaml) records each change;
- last-update freshness checks, run by `freshness_checks_sensor` whenever an asset could have become
  stale: a failed one is an ordinary failed ERROR check of a successful run, so the alert sensors POST
  it to the webhook like any other (docs/alerts.md). Open-source Dagster alerts on no other signal.

An asset is fresh when it was materialized within the window. The marts are materialized only by a
dbt build, and a build is skipped when nothing arrived: a pipeline whose sources fell silent goes
stale too, which is the point (raise the window if the sources are quiet on weekends).
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import dagster as dg

from dagster_project.defs.serving.assets import MART_KEYS
from dagster_project.lib.settings import freshness_window

PUBLISHED_KEYS = [dg.AssetKey(["serving", "published_marts"]), dg.AssetKey(["serving", "metrics_report"])]
FRESH_KEYS = [*MART_KEYS, *PUBLISHED_KEYS]
CHECK_INTERVAL_SECONDS = 300


def _materialized(instance: dg.DagsterInstance) -> set[dg.AssetKey]:
    return {key for key in FRESH_KEYS if instance.get_latest_materialization_event(key) is not None}


def freshness_defs(window: timedelta) -> dg.Definitions:
    # Dagster 1.13 marks the freshness checks "superseded" by FreshnessPolicy, but a policy's state is
    # not something an open-source sensor can alert on; a failed check is (docs/alerts.md).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.SupersessionWarning)
        checks = dg.build_last_update_freshness_checks(
            assets=FRESH_KEYS, lower_bound_delta=window, severity=dg.AssetCheckSeverity.ERROR
        )
        dagster_sensor = dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name="dagster_freshness_checks_sensor"
        )

    @dg.sensor(
        name="freshness_checks_sensor",
        asset_selection=dg.AssetSelection.checks(*checks),
        minimum_interval_seconds=CHECK_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Runs the freshness checks of the marts and the published output when one may have gone "
            f"stale (not materialized for SALES_FRESHNESS_HOURS={window.total_seconds() / 3600:g}); a failed "
            "one is alerted. An asset never materialized yet is not checked: a new install is not stale."
        ),
    )
    def freshness_checks_sensor(context: dg.SensorEvaluationContext):
        # Dagster's own sensor decides which checks are due (never run, or fresh until a time now
        # past; a failed one waits for the next materialization); only materialized assets are kept.
        decision = dagster_sensor(context)
        materialized = _materialized(context.instance)
        if not isinstance(decision, dg.RunRequest):
            return decision
        due = [key for key in decision.asset_check_keys if key.asset_key in materialized]
        if not due:
            return dg.SkipReason("No materialized asset can be stale yet.")
        return dg.RunRequest(asset_check_keys=due, tags={"sales/trigger": "freshness"})

    return dg.Definitions(asset_checks=checks, sensors=[freshness_checks_sensor])


def with_freshness_policies(defs: dg.Definitions, window: timedelta) -> dg.Definitions:
    """The same definitions with a time-window freshness policy on the marts and published assets."""
    policy = dg.FreshnessPolicy.time_window(fail_window=window)
    with warnings.catch_warnings():  # "preview" in 1.13: the documented way to attach a policy
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_resolved_asset_specs(
            func=lambda spec: dg.apply_freshness_policy(spec, policy),
            selection=dg.AssetSelection.assets(*FRESH_KEYS),
        )


WINDOW = freshness_window()
defs = freshness_defs(WINDOW)
