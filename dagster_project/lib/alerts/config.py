"""Where alerts go and how hard delivery tries: plain values, checked once (docs/alerts.md).

Dagster hands them in through `AlertingResource` (dagster_project/defs/resources.py), whose fields
come from the variables named there; a bad value raises `SettingsError` naming its variable.
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.lib.settings import SettingsError

DEFAULT_UI_URL = "http://localhost:3000"
SMTP_TLS_MODES = ("starttls", "ssl", "none")


def _number(variable: str, text: str, minimum: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= minimum:
        raise SettingsError(variable, text, f"a number >= {minimum:g}")
    return value


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    user: str | None
    password: str | None
    tls: str  # "starttls", "ssl" or "none"


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
    # An alert the webhook did not take is kept and tried again by later ticks: `retry` seconds after
    # the failure, then twice as long after each further one (at most an hour), until `max_age` seconds
    # after its first failure, when it is dropped with an ERROR (docs/alerts.md, "When the webhook is down").
    retry: float
    max_age: float
    smtp: SmtpSettings | None  # None unless a server and at least one recipient are set

    @classmethod
    def from_values(
        cls,
        *,
        webhook_url: str = "",
        ui_url: str = "",
        timeout_seconds: str = "5",
        attempts: str = "3",
        backoff_seconds: str = "0.5",
        budget_seconds: str = "10",
        retry_seconds: str = "60",
        max_age_hours: str = "24",
        smtp_host: str = "",
        smtp_port: str = "",
        smtp_tls: str = "starttls",
        smtp_user: str = "",
        smtp_password: str = "",
        email_from: str = "",
        email_to: str = "",
    ) -> AlertSettings:
        recipients = tuple(address.strip() for address in email_to.split(",") if address.strip())
        smtp = None
        if smtp_host and recipients:
            tls = smtp_tls.lower() or "starttls"
            if tls not in SMTP_TLS_MODES:
                raise SettingsError("SALES_ALERT_SMTP_TLS", smtp_tls, " or ".join(SMTP_TLS_MODES))
            port = smtp_port or ("465" if tls == "ssl" else "587")
            if not port.isdigit():
                raise SettingsError("SALES_ALERT_SMTP_PORT", smtp_port, "a port number")
            smtp = SmtpSettings(
                host=smtp_host,
                port=int(port),
                sender=email_from or "sales-metrics-alerts@localhost",
                recipients=recipients,
                user=smtp_user or None,
                password=smtp_password or None,
                tls=tls,
            )
        return cls(
            webhook_url=webhook_url or None,
            ui_url=(ui_url or DEFAULT_UI_URL).rstrip("/"),
            timeout=_number("SALES_ALERT_TIMEOUT_SECONDS", timeout_seconds, 0.1),
            attempts=int(_number("SALES_ALERT_ATTEMPTS", attempts, 1)),
            backoff=_number("SALES_ALERT_BACKOFF_SECONDS", backoff_seconds, 0),
            budget=_number("SALES_ALERT_BUDGET_SECONDS", budget_seconds, 0.1),
            retry=_number("SALES_ALERT_RETRY_SECONDS", retry_seconds, 1),
            max_age=_number("SALES_ALERT_MAX_AGE_HOURS", max_age_hours, 0.001) * 3600,
            smtp=smtp,
        )
