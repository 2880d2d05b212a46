"""Which alerts a finished run deserves, and getting each out once (docs/alerts.md).

`alerts_for_run` reads the run's own event log (one alert per failed check, one for a failed run);
`send_alerts` delivers those not yet in the ledger and records every outcome, never raising for a
network problem. The run-status sensors in dagster_project/defs/alerts/ call both.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import dagster as dg

from .config import AlertSettings
from .delivery import Deliverer
from .ledger import AlertLedger
from .payloads import check_alert, failed_checks, failed_steps, run_failure_alert


def alerts_for_run(
    instance: dg.DagsterInstance, run: dg.DagsterRun, run_event: dg.DagsterEvent | None, ui_url: str
) -> list[dict[str, Any]]:
    """Every alert a finished run deserves: one per failed check, plus one if the run failed."""
    checks = failed_checks(instance, run.run_id)
    alerts = [check_alert(run, check, ui_url) for check in checks]
    run_failed = (run_event is not None and run_event.event_type == dg.DagsterEventType.RUN_FAILURE) or (
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
