"""The ten metrics as people read them: key (= mart name), title, one-line definition, unit, which
direction is good, and when a month is mature. The definitions are docs/contract.md's ("The ten
metrics") in one line each; tests/test_catalogue.py holds the keys to the dbt project.

A month of a metric is *mature* once its window is over for every member: its last day plus the
metric's maturity lag is at or before as_of. Until then its value is partial (a cohort still
converting, offers still open), and the summary and the report never headline it as a trend.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    definition: str
    kind: str  # "count", "mean" or "rate": how values and changes are formatted
    better: str  # "up" or "down": how a change is coloured
    unit: str = ""  # shown after a mean, e.g. "days"
    # How long after the end of its month every member's window is over (the dbt vars' defaults).
    maturity_days: int = 0
    maturity_months: int = 0


METRICS: tuple[Metric, ...] = (
    Metric("conversations", "Conversations",
           "Sales conversations in the month: connected calls, held meetings and inbound email replies.",
           "count", "up"),
    Metric("prospect_calls", "Prospect calls",
           "Outbound sales calls to contacts that are not yet customers, any outcome (voicemail and gatekeeper count).",
           "count", "up"),
    Metric("prospecting_emails", "Prospecting emails",
           "Outbound sales emails to contacts that are not yet customers.",
           "count", "up"),
    Metric("conversations_to_close", "Conversations to close",
           "Mean conversations between qualification and first purchase, for contacts whose first purchase fell in the month.",
           "mean", "down"),
    Metric("days_to_customer", "Days to customer",
           "Mean days from lead creation to first purchase, for leads whose first purchase fell in the month.",
           "mean", "down", "days"),
    Metric("prospect_conversion_rate", "Prospect conversion rate",
           "Share of the month's new leads that have made a first purchase (up to the as-of date).",
           "rate", "up", maturity_days=90),
    Metric("offer_loss_rate", "Offer loss rate",
           "Lost / (won + lost) offers among those sent in the month; open offers excluded, unanswered ones lost after 90 days.",
           "rate", "down", maturity_days=90),
    Metric("never_engaged_rate", "Never-engaged rate",
           "Share of the month's leads with no conversation, qualification or purchase in their first 30 days (matured leads only).",
           "rate", "down", maturity_days=30),
    Metric("repeat_purchase_90d_rate", "Repeat purchase within 90 days",
           "Share of the month's new customers who bought again within 90 days of their first purchase (matured cohorts only).",
           "rate", "up", maturity_days=90),
    Metric("referral_6m_rate", "Referral within 6 months",
           "Share of the month's new customers who made a valid referral within 6 months of their first purchase (matured cohorts only).",
           "rate", "up", maturity_months=6),
)  # fmt: skip

METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS)
RATE_METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in METRICS if m.kind == "rate")
BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}


def metric(key: str) -> Metric:
    """The catalogue entry of a metric; a metric the catalogue does not know yet still gets a card."""
    return BY_KEY.get(key) or Metric(key, key.replace("_", " ").capitalize(), "", "mean", "up")
