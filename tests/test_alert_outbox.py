"""Alerts outlive an outage: an alert the webhook did not take is kept in the instance, tried again with
a growing pause across ticks and daemon restarts, delivered once when the webhook is back, and dropped
with an ERROR only after SALES_ALERT_MAX_AGE_HOURS.

The clock of the retries is passed in (`now=`), so an outage of a minute costs no minute here; the
webhook is a real HTTP server that is absent, then listening on the same port.
"""

from __future__ import annotations

import logging
import shutil
import time

import dagster as dg
import pytest

from dagster_project.defs.alerts.sensors import alert_retry_sensor
from dagster_project.defs.resources import AlertingResource
from dagster_project.lib.alerts.dispatch import retry_pending_alerts, send_alerts
from dagster_project.lib.alerts.ledger import AlertLedger
from dagster_project.lib.settings import REPO_ROOT
from tests.webhook_receiver import WebhookReceiver, dead_url

LOG = logging.getLogger("tests.alert_outbox")
SHORT = {"timeout_seconds": "0.5", "attempts": "2", "backoff_seconds": "0.05", "retry_seconds": "10"}


def alert(alert_id: str) -> dict:
    return {"alert_id": alert_id, "kind": "run_failed", "severity": "ERROR", "text": f"run {alert_id} failed"}


@pytest.fixture
def home(tmp_path):
    """A DAGSTER_HOME with the project's instance settings (SQLite storage in the folder)."""
    (tmp_path / "home").mkdir()
    shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", tmp_path / "home" / "dagster.yaml")
    return tmp_path / "home"


def open_instance(home) -> dg.DagsterInstance:
    """The instance as a new daemon process would open it (a restart keeps only what is stored)."""
    from dagster._core.instance.ref import InstanceRef

    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def test_a_webhook_down_for_a_minute_then_up_receives_the_alert_once(home):
    url = dead_url()
    port = int(url.split(":")[2].split("/")[0])
    settings = AlertingResource(webhook_url=url, max_age_hours="1", **SHORT).settings()
    t0 = time.time()
    instance = open_instance(home)
    assert send_alerts(instance, [alert("r1/run")], settings, LOG, now=t0)["pending"] == 1
    ledger = AlertLedger(instance)
    assert ledger.get("r1/run")["status"] == "pending" and ledger.pending_ids() == ["r1/run"]

    # Down: tried at t0 + 10 s, then 20 s later (t0 + 30 s), each a failed round; not before it is due.
    ticks = [(5, "not_due"), (10, "still_pending"), (20, "not_due"), (30, "still_pending")]
    for offset, outcome in ticks[:3]:
        assert retry_pending_alerts(instance, settings, LOG, now=t0 + offset)[outcome] == 1
    instance = open_instance(home)  # the daemon restarts: the pending alert is in the instance
    assert retry_pending_alerts(instance, settings, LOG, now=t0 + 30)["still_pending"] == 1
    record = AlertLedger(instance).get("r1/run")
    assert record["rounds"] == 3 and record["next_try_at"] == pytest.approx(t0 + 30 + 40)
    assert "Connection refused" in record["webhook_detail"] or "ConnectionRefused" in record["webhook_detail"]

    with WebhookReceiver(port=port) as hook:  # back at t0 + 60 s, on the same URL
        assert retry_pending_alerts(instance, settings, LOG, now=t0 + 65)["not_due"] == 1
        assert hook.attempts == 0
        assert retry_pending_alerts(instance, settings, LOG, now=t0 + 70)["sent"] == 1
        for offset in (80, 200, 5000):  # later ticks, after the max age too: nothing again
            retry_pending_alerts(open_instance(home), settings, LOG, now=t0 + offset)
        # A run-status sensor re-evaluated from an old cursor: already handled.
        assert send_alerts(open_instance(home), [alert("r1/run")], settings, LOG)["already_handled"] == 1
        assert [b["alert_id"] for b in hook.bodies] == ["r1/run"] and hook.attempts == 1
    record = AlertLedger(open_instance(home)).get("r1/run")
    assert record["status"] == "sent" and record["rounds"] == 4 and "alert" not in record


def test_an_alert_older_than_the_max_age_is_dropped_with_an_error(home, caplog):
    settings = AlertingResource(webhook_url=dead_url(), max_age_hours="0.5", **SHORT).settings()
    t0 = time.time()
    instance = open_instance(home)
    send_alerts(instance, [alert("r2/run")], settings, LOG, now=t0)
    assert retry_pending_alerts(instance, settings, LOG, now=t0 + 1700)["still_pending"] == 1
    with caplog.at_level(logging.ERROR, logger=LOG.name):
        assert retry_pending_alerts(instance, settings, LOG, now=t0 + 1801)["dropped"] == 1
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert message.startswith("Alert r2/run DROPPED") and "SALES_ALERT_MAX_AGE_HOURS=0.5" in message
    assert "run r2/run failed" in message  # its text is not lost: it is in the log
    assert AlertLedger(instance).get("r2/run")["status"] == "dropped"
    assert retry_pending_alerts(instance, settings, LOG, now=t0 + 4000) == {
        "sent": 0, "still_pending": 0, "dropped": 0, "not_due": 0,
    }  # fmt: skip
    send_alerts(instance, [alert("r3/run")], settings, LOG, now=t0)
    assert AlertLedger(instance).pending_ids() == ["r3/run"]  # settled ids leave the pending list


def test_the_retry_sensor_delivers_a_pending_alert_when_its_pause_is_over(home):
    url = dead_url()
    resource = AlertingResource(webhook_url=url, **{**SHORT, "retry_seconds": "1"})
    instance = open_instance(home)
    send_alerts(instance, [alert("r4/run")], resource.settings(), LOG)
    time.sleep(1.1)
    with WebhookReceiver(port=int(url.split(":")[2].split("/")[0])) as hook:
        context = dg.build_sensor_context(instance=instance, resources={"alerting": resource})
        skip = alert_retry_sensor(context)
        assert "'sent': 1" in skip.skip_message
        assert [b["alert_id"] for b in hook.bodies] == ["r4/run"]
