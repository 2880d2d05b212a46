"""Metric alerts reach the webhook once each, with kind "metric", through the alert ledger."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.planning.alerts import metric_alert_deliveries
from dagster_project.defs.resources import AlertingResource
from tests.conftest import warehouse_settings
from tests.webhook_receiver import WebhookReceiver

ROWS = [
    ("offer_loss_rate", "2025-06-01", "all", None, 0.7, 0.4, 150.0, 6.9,
     "offer_loss_rate (all) rose to 70.0% of 150 in 2025-06, against 40.0% of 900 in the 6 months before (z = 6.9)"),
    ("conversations", "2025-05-01", "rep_id", "rep-2", 32.0, 64.0, None, 4.0,
     "conversations (rep_id rep-2) fell to 32 in 2025-05, against a median of 64.0 over the 12 months before (robust score 4.0)"),
]  # fmt: skip


def write_alerts(warehouse, rows) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create or replace table marts.metric_alerts (metric varchar, period_start date, dimension varchar,"
            " dimension_value varchar, value double, baseline double, denominator double, score double,"
            " message varchar)"
        )
        con.executemany("insert into marts.metric_alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def deliver(tmp_path, hook, instance, as_of: str | None = None) -> dict:
    resources = {
        "warehouse": warehouse_settings(tmp_path / "landing", tmp_path / "warehouse.duckdb", as_of=as_of),
        "alerting": AlertingResource(webhook_url=hook.url),
    }
    result = dg.materialize([metric_alert_deliveries], resources=resources, instance=instance)
    [event] = result.get_asset_materialization_events()
    return {key: value.value for key, value in event.materialization.metadata.items()}


def test_each_metric_alert_is_posted_once(tmp_path, hook):
    warehouse = tmp_path / "warehouse.duckdb"
    write_alerts(warehouse, ROWS)
    with dg.instance_for_test() as instance:
        first = deliver(tmp_path, hook, instance)
        assert (first["metric_alert_rows"], first["sent"]) == (2, 2)
        bodies = hook.wait_for(2, timeout=10)
        assert {body["kind"] for body in bodies} == {"metric"}
        loss = next(body for body in bodies if body["metric"] == "offer_loss_rate")
        assert loss["alert_id"] == "metric/offer_loss_rate/2025-06-01/all/-"
        assert (loss["period_start"], loss["dimension"], loss["dimension_value"]) == (
            "2025-06-01",
            "all",
            None,
        )
        assert (loss["value"], loss["baseline"], loss["denominator"], loss["score"]) == (0.7, 0.4, 150.0, 6.9)
        assert loss["text"].startswith(
            ":chart_with_downwards_trend: *Metric turned worse*: offer_loss_rate (all)"
        )

        # The next run finds the same rows and one new: only the new one goes out.
        write_alerts(
            warehouse, [*ROWS, ("referral_6m_rate", "2025-01-01", "all", None, 0.1, 0.25, 80.0, 3.1, "x")]
        )
        second = deliver(tmp_path, hook, instance)
        assert (second["sent"], second["already_handled"]) == (1, 2)
        assert len(hook.wait_for(3, timeout=10)) == 3

        # A recompute of the past (as_of) sends nothing.
        write_alerts(
            warehouse, [("never_engaged_rate", "2024-01-01", "all", None, 0.6, 0.5, 300.0, 3.5, "y")]
        )
        past = deliver(tmp_path, hook, instance, as_of="2024-03-01")
        assert (past["metric_alert_rows"], past["sent"]) == (1, 0)
    assert hook.attempts == 3
