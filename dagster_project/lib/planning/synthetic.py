"""Canonical events from processes whose truth is known, to check the forecast and the alerts.

- `conversion_events`: leads whose first purchase follows a given monthly hazard by age in calendar
  months (the forecast's own model), so the expected first purchases are known exactly.
- `offer_events`: offers won with a given probability per month (a stable rate, or a planted drop),
  each decided by a purchase carrying its offer_id or an offer_lost a few days after sending.

Both return event dicts in the columns of docs/contract.md section 2, ready for a landing file.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np


@dataclass(frozen=True)
class Lead:
    contact_id: str
    lead_source: str
    lead_at: datetime
    purchased_at: datetime | None


def month_start(year: int, month: int, add: int = 0) -> datetime:
    index = year * 12 + month - 1 + add
    return datetime(index // 12, index % 12 + 1, 1)


def _seconds_in_month(start: datetime) -> float:
    return calendar.monthrange(start.year, start.month)[1] * 86400.0


def conversion_leads(
    rng: np.random.Generator,
    first_month: datetime,
    months: int,
    leads_per_month: int,
    hazards: dict[str, Sequence[float]],
) -> list[Lead]:
    """`leads_per_month` leads a month per source, created uniformly in the month; a lead that has
    not bought by the start of calendar month (lead month + a) buys in it with probability
    hazards[source][a] (0 past the list), at a uniform time in that month after its creation."""
    leads = []
    for offset in range(months):
        start = month_start(first_month.year, first_month.month, offset)
        length = _seconds_in_month(start)
        for source, by_age in hazards.items():
            for n in range(leads_per_month):
                lead_at = start + timedelta(seconds=float(np.floor(rng.random() * length)))
                purchased_at = None
                for age, hazard in enumerate(by_age):
                    if rng.random() < hazard:
                        month = month_start(start.year, start.month, age)
                        earliest = max(lead_at, month)
                        span = (month_start(month.year, month.month, 1) - earliest).total_seconds()
                        purchased_at = earliest + timedelta(seconds=float(np.floor(rng.random() * span)))
                        break
                leads.append(Lead(f"{source}-{offset:03d}-{n:04d}", source, lead_at, purchased_at))
    return leads


def conversion_events(leads: list[Lead]) -> list[dict]:
    """lead_created and first purchase events of the leads (owner rep-1)."""
    events = []
    for lead in leads:
        events.append(_event(f"lc-{lead.contact_id}", "lead_created", lead.lead_at, lead.contact_id,
                             lead_source=lead.lead_source))  # fmt: skip
        if lead.purchased_at is not None:
            events.append(_event(f"pu-{lead.contact_id}", "purchase", lead.purchased_at, lead.contact_id,
                                 amount=1000.0))  # fmt: skip
    return events


def offer_events(
    rng: np.random.Generator,
    first_month: datetime,
    months: int,
    offers_per_month: int,
    win_rate: Callable[[int], float],
    reps: Sequence[str] = ("rep-1", "rep-2", "rep-3"),
) -> list[dict]:
    """Offers sent uniformly in each month (to a contact of their own), won with win_rate(month
    index): a purchase carrying the offer_id 1-10 days later; else an offer_lost 1-10 days later."""
    events = []
    for offset in range(months):
        start = month_start(first_month.year, first_month.month, offset)
        length = _seconds_in_month(start)
        for n in range(offers_per_month):
            offer = f"of-{offset:03d}-{n:04d}"
            rep = reps[n % len(reps)]
            sent = start + timedelta(seconds=float(np.floor(rng.random() * length)))
            decided = sent + timedelta(days=1 + 9 * float(rng.random()))
            events.append(_event(f"os-{offer}", "offer_sent", sent, f"c-{offer}", rep_id=rep, offer_id=offer,
                                 amount=5000.0))  # fmt: skip
            if rng.random() < win_rate(offset):
                events.append(_event(f"pu-{offer}", "purchase", decided, f"c-{offer}", rep_id=rep,
                                     offer_id=offer, amount=5000.0))  # fmt: skip
            else:
                events.append(_event(f"ol-{offer}", "offer_lost", decided, f"c-{offer}", rep_id=rep,
                                     offer_id=offer))  # fmt: skip
    return events


def _event(event_id: str, event_type: str, occurred_at: datetime, contact_id: str, **fields) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "occurred_at": occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "contact_id": contact_id,
        "rep_id": fields.pop("rep_id", "rep-1"),
        **fields,
    }
