"""Run-status sensors that alert on failed asset checks and failed runs (docs/contract.md, "Quality checks and alerts").

Open-source Dagster has no sensor on check results, so the alerts hang on the end of each run: when a
run ends, its own event log is read for check evaluations that did not pass (ERROR or WARN, GX or dbt
tests alike) and, for a failed run, its failure. Each becomes one JSON POST to SALES_ALERT_WEBHOOK_URL
(or a log line when that is unset), and optionally an e-mail. The ledger makes each alert go out once.

The sensors watch every run the daemon's instance records, `monitor_all_code_locations=True`: the
schedule's, the landing sensor's, those launched from the UI or `dagster job launch`, and also
`dagster asset materialize` runs that write to the same DAGSTER_HOME while a daemon is running.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from dagster_project.defs.resources import AlertingResource
from dagster_project.lib.alerts.dispatch import alerts_for_run, retry_pending_alerts, send_alerts

MINIMUM_INTERVAL_SECONDS = 10  # a run's alerts go out within ~10-20 s of its end
RETRY_INTERVAL_SECONDS = 15  # how often pending alerts are looked at (each waits its own pause)


def _alert_on(context: dg.RunStatusSensorContext, alerting: AlertingResource) -> None:
    run = context.dagster_run
    settings = alerting.settings()
    alerts = alerts_for_run(context.instance, run, context.dagster_event, settings.ui_url)
    tally = send_alerts(context.instance, alerts, settings, context.log)
    context.log.info(
        f"Run {run.run_id} ({run.job_name}, {run.status.value}): {len(alerts)} alert(s), {tally}"
    )


_COMMON: dict[str, Any] = dict(
    monitor_all_code_locations=True,
    minimum_interval_seconds=MINIMUM_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
)


@dg.run_status_sensor(
    name="alert_failed_checks_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    description="POSTs one alert per failed asset check (ERROR or WARN) of each successful run.",
    **_COMMON,
)
def alert_failed_checks_sensor(context: dg.RunStatusSensorContext, alerting: AlertingResource):
    _alert_on(context, alerting)


@dg.run_failure_sensor(
    name="alert_failed_runs_sensor",
    description="POSTs one alert per failed run, and one per failed asset check in it.",
    **_COMMON,
)
def alert_failed_runs_sensor(context: dg.RunFailureSensorContext, alerting: AlertingResource):
    _alert_on(context, alerting)


@dg.run_status_sensor(
    name="alert_canceled_run_checks_sensor",
    run_status=dg.DagsterRunStatus.CANCELED,
    description="POSTs one alert per asset check that failed in a run before it was canceled.",
    **_COMMON,
)
def alert_canceled_run_checks_sensor(context: dg.RunStatusSensorContext, alerting: AlertingResource):
    _alert_on(context, alerting)


@dg.sensor(
    name="alert_retry_sensor",
    minimum_interval_seconds=RETRY_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Tries again the alerts the webhook did not take, with a growing pause, until delivered once "
        "or older than SALES_ALERT_MAX_AGE_HOURS (then dropped with an ERROR)."
    ),
)
def alert_retry_sensor(context: dg.SensorEvaluationContext, alerting: AlertingResource):
    tally = retry_pending_alerts(context.instance, alerting.settings(), context.log)
    return dg.SkipReason(f"Pending alerts: {tally}")


ALERT_SENSORS = [alert_failed_checks_sensor, alert_failed_runs_sensor, alert_canceled_run_checks_sensor]
RETRY_SENSORS = [alert_retry_sensor]
