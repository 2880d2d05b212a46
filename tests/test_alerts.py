"""The alert sensors against real runs: a tiny asset graph with failing checks runs on a real Dagster
instance (a temporary DAGSTER_HOME), then the sensors are evaluated as the daemon would, POSTing to a
real HTTP receiver on the loopback interface (tests/webhook_receiver.py).
"""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.alerts import defs as alert_defs
from dagster_project.defs.alerts.sensors import alert_failed_checks_sensor, alert_failed_runs_sensor
from dagster_project.defs.resources import AlertingResource
from dagster_project.lib.alerts.config import SmtpSettings
from dagster_project.lib.alerts.delivery import email_message
from dagster_project.lib.alerts.dispatch import alerts_for_run
from dagster_project.lib.alerts.ledger import AlertLedger
from tests.webhook_receiver import WebhookReceiver, dead_url

RAW = dg.AssetKey(["raw", "sales_events"])
FAST_RETRIES = {"backoff_seconds": "0.05", "timeout_seconds": "2"}


# --- a tiny graph with the shapes of the real one: a raw asset, GX-like checks, a downstream mart ---


@dg.asset(key=RAW)
def sales_events():
    return 100


@dg.asset(key=["marts", "conversations"], deps=[RAW])
def conversations():
    return 1


def _reject_share_check(blocking: bool) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=RAW, name="gx_raw_reject_share", blocking=blocking)
    def gx_raw_reject_share():
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description="60.0% of the rows were rejected (limit 5%)",
            metadata={"rows_read": 100, "rows_rejected": 60, "reject_share": 0.6, "suite": "raw_v1"},
        )

    return gx_raw_reject_share


@dg.asset_check(asset=RAW, name="gx_raw_future_dates")
def gx_raw_future_dates():
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"unexpected_count": 3}
    )


@dg.asset_check(asset=RAW, name="gx_raw_volume")
def gx_raw_volume():
    return dg.AssetCheckResult(passed=True)


@dg.asset(key=["marts", "broken"], deps=[RAW])
def broken():
    raise RuntimeError("warehouse file is locked")


def run_graph(instance: dg.DagsterInstance, *, blocking: bool = False, with_broken: bool = False):
    assets = [sales_events, conversations] + ([broken] if with_broken else [])
    checks = [_reject_share_check(blocking), gx_raw_future_dates, gx_raw_volume]
    job = dg.define_asset_job("refresh_sales_metrics", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=assets, asset_checks=checks, jobs=[job])
    return defs.resolve_job_def("refresh_sales_metrics").execute_in_process(
        instance=instance, raise_on_error=False
    )


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "dagster_home"
    path.mkdir()
    return path


def open_instance(home: Path) -> dg.DagsterInstance:
    """A persistent instance on a DAGSTER_HOME folder (SQLite), as the daemon opens it."""
    return dg.DagsterInstance.local_temp(str(home), overrides={"telemetry": {"enabled": False}})


@pytest.fixture
def instance(home) -> Iterator[dg.DagsterInstance]:
    with open_instance(home) as instance:
        yield instance


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def tick(
    sensor, instance: dg.DagsterInstance, cursor: str | None, alerting: AlertingResource | None = None
) -> str | None:
    """One daemon tick of a run-status sensor: the decorated function behind its real cursor logic."""
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"alerting": alerting or AlertingResource()}
    )
    return sensor.evaluate_tick(context).cursor


def test_alert_sensors_run_by_default_and_watch_every_run():
    names = {sensor.name for sensor in alert_defs.sensors}
    assert {"alert_failed_checks_sensor", "alert_failed_runs_sensor"} <= names
    for sensor in alert_defs.sensors:
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
        assert sensor.minimum_interval_seconds <= 20  # alerts within a minute of the run's end


def test_payloads_name_check_asset_severity_run_and_counts(instance):
    result = run_graph(instance)
    assert result.success  # non-blocking failed checks do not fail the run

    ui_url = AlertingResource(ui_url="http://dagster.example:3000/").settings().ui_url
    alerts = alerts_for_run(instance, result.dagster_run, None, ui_url)
    by_check = {alert["check"]: alert for alert in alerts}
    assert set(by_check) == {"gx_raw_reject_share", "gx_raw_future_dates"}  # the passing check is quiet

    error = by_check["gx_raw_reject_share"]
    assert (
        error["kind"] == "check_failed"
        and error["severity"] == "ERROR"
        and error["asset"] == "raw/sales_events"
    )
    assert error["run_id"] == result.run_id and error["job"] == "refresh_sales_metrics"
    assert error["run_url"] == f"http://dagster.example:3000/runs/{result.run_id}"
    assert error["failing_counts"] == {"rows_read": 100, "rows_rejected": 60, "reject_share": 0.6}
    assert "gx_raw_reject_share" in error["text"] and "raw/sales_events" in error["text"]
    assert f"<{error['run_url']}|" in error["text"]  # a Slack link
    assert by_check["gx_raw_future_dates"]["severity"] == "WARN"
    assert by_check["gx_raw_future_dates"]["failing_counts"] == {"unexpected_count": 3}


def test_success_sensor_posts_each_failed_check_once(home, instance, hook):
    with nullcontext(AlertingResource(webhook_url=hook.url, **FAST_RETRIES)) as alerting:
        started = tick(alert_failed_checks_sensor, instance, None, alerting)  # first tick: cursor at "now"
        result = run_graph(instance)
        cursor = tick(alert_failed_checks_sensor, instance, started, alerting)
        bodies = hook.wait_for(2, timeout=5)
        assert sorted(b["check"] for b in bodies) == ["gx_raw_future_dates", "gx_raw_reject_share"]
        assert {b["run_id"] for b in bodies} == {result.run_id}
        assert hook.attempts == 2

        assert tick(alert_failed_checks_sensor, instance, cursor, alerting) == cursor  # nothing new
        # The failure sensor has nothing to say about a successful run.
        tick(
            alert_failed_runs_sensor,
            instance,
            tick(alert_failed_runs_sensor, instance, None, alerting),
            alerting,
        )

        # A lost cursor after a daemon restart (a new instance object on the same DAGSTER_HOME):
        # the run is evaluated again, and the ledger keeps it quiet.
        with open_instance(home) as restarted:
            tick(alert_failed_checks_sensor, restarted, started, alerting)
            assert AlertLedger(restarted).get(bodies[0]["alert_id"])["status"] == "sent"
        time.sleep(0.5)
        assert len(hook.bodies) == 2 and hook.attempts == 2


def test_failure_sensor_posts_the_run_failure_and_its_failed_checks(instance, hook):
    result = run_graph(instance, blocking=True)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_failed_runs_sensor",
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=result.get_run_failure_event(),
        resources={"alerting": AlertingResource(webhook_url=hook.url, **FAST_RETRIES)},
    ).for_run_failure()
    alert_failed_runs_sensor(context)
    alert_failed_runs_sensor(context)  # evaluated twice: still one POST per failure
    bodies = hook.wait_for(3, timeout=5)
    assert len(bodies) == 3 and hook.attempts == 3
    run_alert = next(b for b in bodies if b["kind"] == "run_failed")
    assert run_alert["severity"] == "ERROR" and run_alert["run_id"] == result.run_id
    assert run_alert["asset"] == "raw/sales_events" and run_alert["check"] == "gx_raw_reject_share"
    assert run_alert["failed_steps"][0]["checks"] == ["raw/sales_events:gx_raw_reject_share"]
    assert "failed" in run_alert["text"] and result.run_id[:8] in run_alert["text"]
    assert sorted(b["severity"] for b in bodies if b["kind"] == "check_failed") == ["ERROR", "WARN"]


def test_a_failed_step_names_its_asset_and_error(instance, hook):
    with nullcontext(AlertingResource(webhook_url=hook.url, **FAST_RETRIES)) as alerting:
        started = tick(alert_failed_runs_sensor, instance, None, alerting)
        result = run_graph(instance, with_broken=True)
        assert not result.success
        tick(alert_failed_runs_sensor, instance, started, alerting)
    run_alert = next(b for b in hook.wait_for(3, timeout=5) if b["kind"] == "run_failed")
    assert run_alert["asset"] == "marts/broken" and run_alert["check"] is None
    assert "warehouse file is locked" in run_alert["failed_steps"][0]["error"]
    assert "warehouse file is locked" in run_alert["text"]


def test_the_run_alert_names_the_blocking_check_among_those_of_its_step(instance, hook):
    """Like the GX suites: one step evaluates several checks of a layer; only one of them failed."""

    @dg.multi_asset_check(
        name="gx_raw_checks",
        specs=[
            dg.AssetCheckSpec("gx_raw_daily_volume", asset=RAW, blocking=True),
            dg.AssetCheckSpec("gx_raw_reject_share", asset=RAW, blocking=True),
        ],
    )
    def gx_raw_checks():
        yield dg.AssetCheckResult(asset_key=RAW, check_name="gx_raw_daily_volume", passed=True)
        yield dg.AssetCheckResult(asset_key=RAW, check_name="gx_raw_reject_share", passed=False)

    job = dg.define_asset_job("refresh_sales_metrics", selection=dg.AssetSelection.all())
    defs = dg.Definitions(assets=[sales_events, conversations], asset_checks=[gx_raw_checks], jobs=[job])
    with nullcontext(AlertingResource(webhook_url=hook.url, **FAST_RETRIES)) as alerting:
        started = tick(alert_failed_runs_sensor, instance, None, alerting)
        result = defs.resolve_job_def("refresh_sales_metrics").execute_in_process(
            instance=instance, raise_on_error=False
        )
        assert not result.success
        tick(alert_failed_runs_sensor, instance, started, alerting)
    bodies = hook.wait_for(2, timeout=5)
    assert sorted(b["kind"] for b in bodies) == ["check_failed", "run_failed"]
    run_alert = next(b for b in bodies if b["kind"] == "run_failed")
    assert run_alert["check"] == "gx_raw_reject_share" and run_alert["asset"] == "raw/sales_events"


def test_a_webhook_answering_500_twice_gets_the_alert_on_retry(instance):
    with (
        WebhookReceiver(fail_first=2) as flaky,
        nullcontext(AlertingResource(webhook_url=flaky.url, **FAST_RETRIES)) as alerting,
    ):
        started = tick(alert_failed_checks_sensor, instance, None, alerting)
        run_graph(instance)
        tick(alert_failed_checks_sensor, instance, started, alerting)
        bodies = flaky.wait_for(2, timeout=5)
    assert len(bodies) == 2 and len({b["alert_id"] for b in bodies}) == 2
    assert flaky.attempts == 4  # 500, 500, 200 for the first alert; 200 for the second


def test_a_dead_or_slow_webhook_never_crashes_the_sensor(instance):
    started = tick(alert_failed_checks_sensor, instance, None)
    run = run_graph(instance)

    with nullcontext(AlertingResource(webhook_url=dead_url(), **FAST_RETRIES)) as alerting:
        began = time.monotonic()
        cursor = tick(alert_failed_checks_sensor, instance, started, alerting)
        assert time.monotonic() - began < 5
    ledger = AlertLedger(instance)
    outcomes = [ledger.get(a["alert_id"]) for a in alerts_for_run(instance, run.dagster_run, None, "")]
    assert [o["status"] for o in outcomes] == ["pending", "pending"]  # kept for alert_retry_sensor
    assert "after 3 attempt(s)" in outcomes[0]["webhook_detail"]
    assert "after 1 attempt(s)" in outcomes[1]["webhook_detail"]  # endpoint known down: no more retries

    # An endpoint that never answers in time: bounded by the timeout and the per-run budget.
    run = run_graph(instance)
    with (
        WebhookReceiver(delay=3) as slow,
        nullcontext(
            AlertingResource(
                webhook_url=slow.url, timeout_seconds="0.5", backoff_seconds="0.05", budget_seconds="2"
            )
        ) as alerting,
    ):
        began = time.monotonic()
        tick(alert_failed_checks_sensor, instance, cursor, alerting)
        assert time.monotonic() - began < 4
    outcomes = [ledger.get(a["alert_id"]) for a in alerts_for_run(instance, run.dagster_run, None, "")]
    assert [o["status"] for o in outcomes] == ["pending", "pending"]
    assert "timed out" in outcomes[0]["webhook_detail"]


def test_without_a_url_alerts_are_only_logged(instance, capfd):
    with nullcontext(AlertingResource()) as alerting:
        started = tick(alert_failed_checks_sensor, instance, None, alerting)
        run = run_graph(instance)
        tick(alert_failed_checks_sensor, instance, started, alerting)
    ledger = AlertLedger(instance)
    alerts = alerts_for_run(instance, run.dagster_run, None, "")
    assert [ledger.get(a["alert_id"])["status"] for a in alerts] == ["logged", "logged"]
    assert "SALES_ALERT_WEBHOOK_URL unset" in capfd.readouterr().err  # the sensor's log, in its tick


# --- e-mail: a minimal SMTP server on the loopback interface ---


class SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.messages: list[email.message.Message] = []
        super().__init__(("127.0.0.1", 0), self._Handler)

    class _Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            self.wfile.write(b"220 sink ESMTP\r\n")
            lines: list[bytes] | None = None  # not None while reading DATA
            while line := self.rfile.readline():
                if lines is not None:
                    if line.rstrip(b"\r\n") == b".":
                        self.server.messages.append(email.message_from_bytes(b"".join(lines)))
                        lines = None
                        self.wfile.write(b"250 queued\r\n")
                    else:
                        lines.append(line[1:] if line.startswith(b"..") else line)
                    continue
                verb = line[:4].upper()
                if verb == b"DATA":
                    lines = []
                    self.wfile.write(b"354 end with .\r\n")
                elif verb == b"QUIT":
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:  # EHLO, HELO, MAIL, RCPT, RSET, NOOP
                    self.wfile.write(b"250 ok\r\n")


def test_alerts_are_also_emailed_when_smtp_is_configured(instance, hook):
    sink = SmtpSink()
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        smtp_env = {
            "smtp_host": "127.0.0.1",
            "smtp_port": str(sink.server_address[1]),
            "smtp_tls": "none",
            "email_to": "sales-ops@example.com, data@example.com",
            "email_from": "pipeline@example.com",
        }
        with nullcontext(AlertingResource(webhook_url=hook.url, **FAST_RETRIES, **smtp_env)) as alerting:
            started = tick(alert_failed_checks_sensor, instance, None, alerting)
            run_graph(instance)
            tick(alert_failed_checks_sensor, instance, started, alerting)
    finally:
        sink.shutdown()
        sink.server_close()
    assert len(hook.bodies) == 2 and len(sink.messages) == 2
    subjects = sorted(message["Subject"] for message in sink.messages)
    assert subjects[0].startswith("[sales-metrics] ERROR: gx_raw_reject_share failed")
    assert sink.messages[0]["To"] == "sales-ops@example.com, data@example.com"
    assert "/runs/" in sink.messages[0].get_payload()


def test_email_message_for_a_run_failure():
    smtp = SmtpSettings("localhost", 25, "a@example.com", ("b@example.com",), None, None, "none")
    body = {"kind": "run_failed", "severity": "ERROR", "job": "refresh_sales_metrics", "run_id": "0123456789",
            "text": "run failed", "run_url": "http://localhost:3000/runs/0123456789"}  # fmt: skip
    assert email_message(smtp, body)["Subject"] == (
        "[sales-metrics] ERROR: run of refresh_sales_metrics failed (01234567)"
    )
