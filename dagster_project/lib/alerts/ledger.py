"""Which alerts were already handled: a record per alert id in the Dagster instance's key-value store.

A run-status sensor's own cursor already moves past each run once, but a cursor is lost when a sensor
is reset, and an evaluation that the daemon cuts off (its 60 s timeout) is re-run from the previous
cursor. The instance's key-value table (the same storage the daemon keeps its own cursors in; it lives
in DAGSTER_HOME, or in Postgres if the instance uses it) survives daemon restarts, so an alert whose
id is recorded here is never sent again.
"""

from __future__ import annotations

import json
import time
from typing import Any

import dagster as dg

KEY_PREFIX = "sales_metrics/alerts/"


class AlertLedger:
    def __init__(self, instance: dg.DagsterInstance):
        self._storage = instance.daemon_cursor_storage

    def get(self, alert_id: str) -> dict[str, Any] | None:
        value = self._storage.get_cursor_values({KEY_PREFIX + alert_id}).get(KEY_PREFIX + alert_id)
        return json.loads(value) if value else None

    def record(self, alert_id: str, outcome: dict[str, Any]) -> None:
        # One key per call: the storage's upsert of several keys at once only updates existing ones.
        self._storage.set_cursor_values({KEY_PREFIX + alert_id: json.dumps({**outcome, "at": time.time()})})
