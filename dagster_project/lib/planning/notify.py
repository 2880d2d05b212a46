"""Metric alerts as webhook payloads (docs/decisions.md): one JSON body per row of
marts.metric_alerts, `kind: "metric"`, with a Slack-compatible `text`. Its id names the metric, the
month and the slice, not the run, so the alert ledger (lib/alerts) sends each row once whichever run
finds it first; data-quality alerts keep their own format."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.lib.alerts.payloads import SOURCE, run_url
from dagster_project.lib.sql import has_table

ALERTS_TABLE = ("marts", "metric_alerts")
COLUMNS = ("metric", "period_start", "dimension", "dimension_value", "value", "baseline", "denominator",
           "score", "message")  # fmt: skip


def read_metric_alerts(warehouse: Path) -> list[dict[str, Any]]:
    """The rows of marts.metric_alerts, oldest month first (none before the first build)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_table(con, *ALERTS_TABLE):
            return []
        rows = con.execute(
            f"select {', '.join(COLUMNS)} from marts.metric_alerts"
            " order by period_start, metric, dimension, dimension_value nulls first"
        ).fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def metric_alert_id(row: dict[str, Any]) -> str:
    period = row["period_start"].isoformat() if isinstance(row["period_start"], date) else row["period_start"]
    return f"metric/{row['metric']}/{period}/{row['dimension']}/{row['dimension_value'] or '-'}"


def metric_alert(row: dict[str, Any], run_id: str, ui_url: str) -> dict[str, Any]:
    """The JSON body for one metric that turned in the worse direction."""
    return {
        "text": f":chart_with_downwards_trend: *Metric turned worse*: {row['message']}. "
        f"<{run_url(ui_url, run_id)}|Open the run in Dagster>",
        "alert_id": metric_alert_id(row),
        "kind": "metric",
        "severity": "WARN",
        "asset": "marts/metric_alerts",
        "metric": row["metric"],
        "period_start": str(row["period_start"]),
        "dimension": row["dimension"],
        "dimension_value": row["dimension_value"],
        "value": row["value"],
        "baseline": row["baseline"],
        "denominator": row["denominator"],
        "score": row["score"],
        "message": row["message"],
        "run_id": run_id,
        "run_url": run_url(ui_url, run_id),
        "source": SOURCE,
    }
