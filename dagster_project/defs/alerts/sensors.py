"""Run-status sensors that alert on failed asset checks and failed runs (CONTRACT section 7).

Open-source Dagster has no sensor on check results, so the alerts hang on the end of each run: when a
run ends, its own event log is read for check evaluations that did not pass (ERROR or WARN, GX or dbt
tests alike) and, for a failed run, its failure. Each becomes one JSON POST to SALES_ALERT_WEBHOOK_URL
(or a log line when that is unset), and optionally an e-mail. The ledger makes each alert go out once.

The sensors watch every run the daemon's instance records, `monitor_all_code_locations=True`: the
schedule's, the landing sensor's, those launched from the UI or `dagster job launch`, and also
`dagster asset materialize` runs that write to the same DAGSTER_HOME while a daemon is running.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEventType

from .config import AlertSettings
from .delivery import Deliverer
from .ledger import AlertLedger
from .payloads import check_alert, failed_checks, failed_steps, run_failure_alert

MINIMUM_INTERVAL_SECONDS = 10  # a run's alerts go out within ~10-20 s of its end


def alerts_for_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, run_event: dg.DagsterEvent | None, ui_url: str
) -> list[dict[str, Any]]:
    """Every alert a finished run deserves: one per failed check, plus one if the run failed."""
    checks = failed_checks(instance, run.run_id)
    alerts = [check_alert(run, check, ui_url) for check in checks]
    run_failed = (run_event is not None and run_event.event_type == DagsterEventType.RUN_FAILURE) or (
        run.status == dg.DagsterRunStatus.FAILURE
    )
    if run_failed:
        record = instance.get_run_record_by_id(run.run_id)
        ended_at = record.end_time if record and record.end_time else time.time()
        message = run_event.message if run_event else None
        alerts.append(run_failure_alert(run, message, failed_steps(instance, run), checks, ended_at, ui_url))
    return alerts


def send_alerts(
    instance: dg.DagsterInstance,
    alerts: list[dict[str, Any]],
    settings: AlertSettings,
    log: logging.Logger | dg.DagsterLogManager,
) -> dict[str, int]:
    """Deliver the alerts not yet in the ledger, record each outcome, never raise for delivery."""
    ledger = AlertLedger(instance)
    deliverer = Deliverer(settings)
    tally = {"sent": 0, "failed": 0, "logged": 0, "already_handled": 0}
    for alert in alerts:
        alert_id = alert["alert_id"]
        if ledger.get(alert_id) is not None:
            tally["already_handled"] += 1
            continue
        outcome: dict[str, Any] = {}
        if settings.webhook_url:
            delivery = deliverer.post(alert)
            outcome["webhook"] = "sent" if delivery.ok else "failed"
            outcome["webhook_detail"] = f"{delivery.detail} after {delivery.attempts} attempt(s)"
            if delivery.ok:
                log.info(f"Alert {alert_id} POSTed ({outcome['webhook_detail']}): {alert['text']}")
            else:
                log.error(
                    f"Alert {alert_id} NOT delivered to the webhook ({outcome['webhook_detail']}): "
                    f"{alert['text']}"
                )
        else:
            log.warning(f"Alert (SALES_ALERT_WEBHOOK_URL unset, only logged) {alert_id}: {alert['text']}")
        if settings.smtp:
            mailed = deliverer.email(alert)
            outcome["email"] = "sent" if mailed.ok else "failed"
            if not mailed.ok:
                log.error(f"Alert {alert_id} NOT e-mailed: {mailed.detail}")
        delivered = outcome.get("webhook") == "sent" or outcome.get("email") == "sent"
        status = "sent" if delivered else ("failed" if outcome else "logged")
        tally[status] += 1
        # Recorded whatever happened: a failed alert is in the tick log and the ledger, and retrying it
        # on every later evaluation could stall the sensor behind a dead endpoint.
        ledger.record(alert_id, {"status": status, **outcome})
    return tally


def _alert_on(context: dg.RunStatusSensorContext) -> None:
    run = context.dagster_run
    settings = AlertSettings.from_env()
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
def alert_failed_checks_sensor(context: dg.RunStatusSensorContext):
    _alert_on(context)


@dg.run_failure_sensor(
    name="alert_failed_runs_sensor",
    description="POSTs one alert per failed run, and one per failed asset check in it.",
    **_COMMON,
)
def alert_failed_runs_sensor(context: dg.RunFailureSensorContext):
    _alert_on(context)


@dg.run_status_sensor(
    name="alert_canceled_run_checks_sensor",
    run_status=dg.DagsterRunStatus.CANCELED,
    description="POSTs one alert per asset check that failed in a run before it was canceled.",
    **_COMMON,
)
def alert_canceled_run_checks_sensor(context: dg.RunStatusSensorContext):
    _alert_on(context)


ALERT_SENSORS = [alert_failed_checks_sensor, alert_failed_runs_sensor, alert_canceled_run_checks_sensor]
