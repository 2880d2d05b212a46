"""Which alerts a finished run deserves, and getting each out once (docs/alerts.md).

`alerts_for_run` reads the run's own event log (one alert per failed check, one for a failed run);
`send_alerts` delivers those not yet in the ledger and records every outcome, never raising for a
network problem. The run-status sensors in dagster_project/defs/alerts/ call both. An alert the
webhook did not take stays `pending` in the ledger: `retry_pending_alerts` (the retry sensor) tries it
again with a growing pause until it is delivered, once, or too old and dropped with an ERROR.
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

MAX_RETRY_PAUSE_SECONDS = 3600  # the pause between retries doubles up to this


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
    now: float | None = None,
) -> dict[str, int]:
    """Deliver the alerts not yet in the ledger, record each outcome, never raise for delivery; keep
    those the webhook did not take as `pending` for retry_pending_alerts."""
    ledger = AlertLedger(instance)
    deliverer = Deliverer(settings)
    tally = {"sent": 0, "pending": 0, "failed": 0, "logged": 0, "already_handled": 0}
    pending: list[str] = []
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
                log.warning(
                    f"Alert {alert_id} NOT delivered to the webhook yet ({outcome['webhook_detail']}): kept, "
                    f"tried again in {settings.retry:g} s by alert_retry_sensor. {alert['text']}"
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
        if status == "failed" and settings.webhook_url:
            # Kept for the retry sensor rather than retried here: a dead endpoint never stalls this one.
            failed_at = time.time() if now is None else now
            outcome = {**outcome, "alert": alert, "rounds": 1, "first_failed_at": failed_at,
                       "next_try_at": failed_at + settings.retry}  # fmt: skip
            status = "pending"
            pending.append(alert_id)
        tally[status] += 1
        ledger.record(alert_id, {"status": status, **outcome})
    if pending:
        ledger.update_pending(pending)
    return tally


def _next_pause(settings: AlertSettings, rounds: int) -> float:
    """The pause after `rounds` failed rounds: retry, 2*retry, 4*retry, ... at most an hour."""
    return min(settings.retry * 2 ** (rounds - 1), MAX_RETRY_PAUSE_SECONDS)


def retry_pending_alerts(
    instance: dg.DagsterInstance,
    settings: AlertSettings,
    log: logging.Logger | dg.DagsterLogManager,
    now: float | None = None,
) -> dict[str, int]:
    """Try again each pending alert whose pause is over; drop (ERROR) those older than the max age.

    Writes only each alert's own record, so a run-status sensor adding alerts meanwhile loses nothing.
    """
    ledger = AlertLedger(instance)
    deliverer = Deliverer(settings)
    tally = {"sent": 0, "still_pending": 0, "dropped": 0, "not_due": 0}
    for alert_id in ledger.pending_ids():
        now_ = time.time() if now is None else now
        record = ledger.get(alert_id)
        if not record or record.get("status") != "pending":
            continue
        alert, rounds = record["alert"], record["rounds"]
        age = now_ - record["first_failed_at"]
        if age > settings.max_age:
            ledger.record(alert_id, {**_without_body(record), "status": "dropped"})
            log.error(
                f"Alert {alert_id} DROPPED: the webhook did not take it in {rounds} round(s) of attempts over "
                f"{age / 3600:.1f} h, longer than SALES_ALERT_MAX_AGE_HOURS={settings.max_age / 3600:g}; "
                f"last answer: {record.get('webhook_detail')}. It said: {alert['text']}"
            )
            tally["dropped"] += 1
            continue
        if now_ < record["next_try_at"]:
            tally["not_due"] += 1
            continue
        if not settings.webhook_url:
            tally["still_pending"] += 1  # no endpoint now: kept until it is set again or too old
            continue
        delivery = deliverer.post(alert)
        rounds += 1
        detail = (
            f"{delivery.detail} (round {rounds}, {delivery.attempts} attempt(s), {age:.0f} s after the first)"
        )
        if delivery.ok:
            ledger.record(alert_id, {**_without_body(record), "status": "sent", "webhook": "sent",
                                     "webhook_detail": detail, "rounds": rounds})  # fmt: skip
            log.info(f"Alert {alert_id} POSTed on retry ({detail}): {alert['text']}")
            tally["sent"] += 1
        else:
            next_try = now_ + _next_pause(settings, rounds)
            ledger.record(alert_id, {**record, "rounds": rounds, "webhook_detail": detail,
                                     "next_try_at": next_try})  # fmt: skip
            log.warning(
                f"Alert {alert_id} still not delivered ({detail}); next try in {next_try - now_:.0f} s."
            )
            tally["still_pending"] += 1
    return tally


def _without_body(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("alert", "next_try_at", "at")}
