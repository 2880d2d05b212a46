"""Getting an alert out: a JSON POST to the webhook (bounded retries) and, optionally, an e-mail.

Nothing here raises for a network problem: each attempt's outcome is returned for the sensor to log
and record. Standard library only (urllib, smtplib).
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from .config import AlertSettings, SmtpSettings


@dataclass
class Delivery:
    ok: bool
    attempts: int
    detail: str  # HTTP status or the last error


class Deliverer:
    """Delivers the alerts of one run within a shared time budget.

    After one alert has used all its attempts in vain, the webhook is taken to be down for the rest
    of this evaluation: later alerts get a single attempt each, so a dead endpoint costs seconds.
    """

    def __init__(self, settings: AlertSettings):
        self.settings = settings
        self._deadline = time.monotonic() + settings.budget
        self._endpoint_down = False

    def _remaining(self) -> float:
        return self._deadline - time.monotonic()

    def post(self, body: dict[str, Any]) -> Delivery:
        url = self.settings.webhook_url
        assert url, "post() needs a webhook URL"
        data = json.dumps(body, default=str).encode()
        attempts_allowed = 1 if self._endpoint_down else self.settings.attempts
        detail, attempt = "no time left in this evaluation's budget", 0
        while attempt < attempts_allowed:
            timeout = min(self.settings.timeout, self._remaining())
            if timeout <= 0.1:
                break
            attempt += 1
            request = urllib.request.Request(
                url,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "sales-metrics-alerts"},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    return Delivery(True, attempt, f"HTTP {response.status}")
            except urllib.error.HTTPError as error:
                detail = f"HTTP {error.code}"
                if 400 <= error.code < 500 and error.code not in (408, 429):
                    break  # the request itself is refused: repeating it will not help
            except (OSError, ValueError) as error:  # URLError, timeouts, refused connections, bad URL
                detail = f"{type(error).__name__}: {getattr(error, 'reason', error)}"
            pause = self.settings.backoff * 2 ** (attempt - 1)
            if attempt < attempts_allowed and pause < self._remaining() - 0.1:
                time.sleep(pause)
        self._endpoint_down = True
        return Delivery(False, attempt, detail)

    def email(self, body: dict[str, Any]) -> Delivery:
        smtp = self.settings.smtp
        assert smtp, "email() needs SMTP settings"
        timeout = min(self.settings.timeout, self._remaining())
        if timeout <= 0.1:
            return Delivery(False, 0, "no time left in this evaluation's budget")
        try:
            send_email(smtp, body, timeout)
            return Delivery(True, 1, "accepted")
        except (OSError, smtplib.SMTPException) as error:
            return Delivery(False, 1, f"{type(error).__name__}: {error}")


def email_message(smtp: SmtpSettings, body: dict[str, Any]) -> EmailMessage:
    subject_target = body.get("check") if body["kind"] == "check_failed" else f"run of {body.get('job')}"
    message = EmailMessage()
    message["Subject"] = f"[sales-metrics] {body['severity']}: {subject_target} failed ({body['run_id'][:8]})"
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.recipients)
    message.set_content(
        f"{body['text']}\n\nRun: {body['run_url']}\n\n{json.dumps(body, indent=2, default=str)}\n"
    )
    return message


def send_email(smtp: SmtpSettings, body: dict[str, Any], timeout: float) -> None:
    message = email_message(smtp, body)
    if smtp.tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)
    with client:
        if smtp.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)
