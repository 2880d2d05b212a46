"""Where alerts go and how hard delivery tries, by environment variable (read at call time).

The webhook URL is the contract's `SALES_ALERT_WEBHOOK_URL` (through `Settings`); the rest are this
module's own knobs, documented in docs/alerts.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dagster_project.settings import Settings

DEFAULT_UI_URL = "http://localhost:3000"


def _float(var: str, default: float) -> float:
    value = os.environ.get(var)
    return float(value) if value else default


def _int(var: str, default: int) -> int:
    value = os.environ.get(var)
    return int(value) if value else default


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None
    password: str | None
    tls: str  # "starttls", "ssl" or "none"

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """None unless both a server and at least one recipient are set: e-mail is optional."""
        host = os.environ.get("SALES_ALERT_SMTP_HOST")
        recipients = tuple(
            address.strip()
            for address in os.environ.get("SALES_ALERT_EMAIL_TO", "").split(",")
            if address.strip()
        )
        if not host or not recipients:
            return None
        tls = os.environ.get("SALES_ALERT_SMTP_TLS", "starttls").lower()
        if tls not in ("starttls", "ssl", "none"):
            raise ValueError(f"SALES_ALERT_SMTP_TLS must be starttls, ssl or none, not {tls!r}")
        return cls(
            host=host,
            port=_int("SALES_ALERT_SMTP_PORT", 465 if tls == "ssl" else 587),
            sender=os.environ.get("SALES_ALERT_EMAIL_FROM") or "sales-metrics-alerts@localhost",
            recipients=recipients,
            user=os.environ.get("SALES_ALERT_SMTP_USER") or None,
            password=os.environ.get("SALES_ALERT_SMTP_PASSWORD") or None,
            tls=tls,
        )


@dataclass(frozen=True)
class AlertSettings:
    webhook_url: str | None
    ui_url: str
    # One POST waits at most `timeout` seconds and is tried `attempts` times, `backoff`, 2*`backoff`, ...
    # apart. All deliveries for one run share `budget` seconds: the daemon gives a whole sensor tick
    # (up to 5 runs) 60 s, and an evaluation cut off by that timeout would be re-run from its old cursor.
    timeout: float
    attempts: int
    backoff: float
    budget: float
    smtp: SmtpSettings | None

    @classmethod
    def from_env(cls) -> AlertSettings:
        return cls(
            webhook_url=Settings.from_env().alert_webhook_url,
            ui_url=(os.environ.get("SALES_DAGSTER_UI_URL") or DEFAULT_UI_URL).rstrip("/"),
            timeout=_float("SALES_ALERT_TIMEOUT_SECONDS", 5.0),
            attempts=max(1, _int("SALES_ALERT_ATTEMPTS", 3)),
            backoff=_float("SALES_ALERT_BACKOFF_SECONDS", 0.5),
            budget=_float("SALES_ALERT_BUDGET_SECONDS", 10.0),
            smtp=SmtpSettings.from_env(),
        )
