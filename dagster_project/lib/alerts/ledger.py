"""Which alerts were already handled, and which still wait for the webhook: a record per alert id in the
Dagster instance's key-value store.

A run-status sensor's own cursor already moves past each run once, but a cursor is lost when a sensor
is reset, and an evaluation that the daemon cuts off (its 60 s timeout) is re-run from the previous
cursor. The instance's key-value table (the same storage the daemon keeps its own cursors in; it lives
in DAGSTER_HOME, or in Postgres if the instance uses it) survives daemon restarts, so an alert whose
id is recorded here is never sent again.

An alert the webhook did not take is recorded `pending` with its body, and its id joins the pending
list (one key) that the retry sensor walks (dispatch.retry_pending_alerts). Only `send_alerts` writes
that list (adding new ids, dropping settled ones); the retry sensor writes only each alert's own
record, so the two never overwrite each other's changes.
"""

from __future__ import annotations

import json
import time
from typing import Any

import dagster as dg

KEY_PREFIX = "sales_metrics/alerts/"
PENDING_KEY = "sales_metrics/alerts_pending"  # JSON list of alert ids (outside KEY_PREFIX: no alert id)


class AlertLedger:
    def __init__(self, instance: dg.DagsterInstance):
        self._storage = instance.daemon_cursor_storage

    def get(self, alert_id: str) -> dict[str, Any] | None:
        value = self._storage.get_cursor_values({KEY_PREFIX + alert_id}).get(KEY_PREFIX + alert_id)
        return json.loads(value) if value else None

    def record(self, alert_id: str, outcome: dict[str, Any]) -> None:
        # One key per call: the storage's upsert of several keys at once only updates existing ones.
        self._storage.set_cursor_values({KEY_PREFIX + alert_id: json.dumps({**outcome, "at": time.time()})})

    def pending_ids(self) -> list[str]:
        value = self._storage.get_cursor_values({PENDING_KEY}).get(PENDING_KEY)
        return json.loads(value) if value else []

    def update_pending(self, added: list[str]) -> None:
        """Add ids to the pending list and drop those whose record is no longer pending."""
        ids = dict.fromkeys([*self.pending_ids(), *added])
        still = [i for i in ids if (self.get(i) or {}).get("status") == "pending"]
        self._storage.set_cursor_values({PENDING_KEY: json.dumps(still)})
