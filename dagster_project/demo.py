"""Demo data generator: realistic canonical sales events (docs/contract.md, "Input"), optionally dirty ("Bad input").

    python -m dagster_project.demo --out data/landing --contacts 3000 --seed 7 --format jsonl --dirty

Each contact lives a whole journey: a lead is created (with a lead source and an owning rep), reps
call and email it (voicemail, gatekeeper, ...), most engaged leads talk to someone, some qualify, get
offers that are won, lost or left open, and buy; customers buy again, refer others and call customer
service. Some contacts are existing customers who buy without ever being a lead.

It is vectorized: every step draws the events of all contacts at once from per-contact numpy arrays
(np.repeat for "k events per contact"), never a Python loop per event: ten million events (about
1.06 million contacts) are written in about 35 s as Parquet or CSV, a minute as JSON Lines, in 4-5 GB
of memory. One seed gives the same bytes every time.

`--dirty` only adds rows: exact duplicate deliveries, rows of every rejection kind of docs/contract.md ("Bad input")
(about 2.5% of the rows, but at least one of each, so more for a few dozen contacts) and an unknown
extra column `crm_note`. The clean rows are the same as without `--dirty`, so a correct pipeline
computes the same metrics from both.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
from pathlib import Path
from typing import NamedTuple

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from dagster_project.lib.vocabulary import (
    CALL_OUTCOMES,
    CANONICAL_COLUMNS,
    DIRECTIONS,
    EVENT_TYPES,
    MEETING_OUTCOMES,
    PURPOSES,
)

# --- the contract's vocabularies (lib/vocabulary.py); the generator works on their integer codes ----

LEAD_CREATED, LEAD_QUALIFIED, CALL, EMAIL, MEETING, OFFER_SENT, OFFER_LOST, PURCHASE, REFERRAL = range(9)

OUTCOMES = CALL_OUTCOMES + MEETING_OUTCOMES  # one code space: meeting outcomes start at 6
CONNECTED, VOICEMAIL, GATEKEEPER, NO_ANSWER, BUSY, WRONG_NUMBER, HELD, NO_SHOW, CANCELLED = range(9)

OUTBOUND, INBOUND = range(2)
SALES, SUPPORT = range(2)
NULL = -1  # the code of an absent value in every integer column

LEAD_SOURCES = ["webinar", "website", "referral", "outbound", "event"]
REPS = [f"rep-{i:02d}" for i in range(1, 9)]

COLUMNS = CANONICAL_COLUMNS
EXTRA_COLUMN = "crm_note"  # an unknown column (dirty mode): kept in the raw layer, ignored downstream

# --- the shape of the business: why the metrics differ by lead source and by rep -------------------

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0

# Lead source mix; the last entry is a lead without a lead_source (the pipeline says `unknown`).
SOURCE_SHARE = np.array([0.20, 0.30, 0.10, 0.25, 0.10, 0.05])
ENGAGE_P = np.array([0.70, 0.55, 0.85, 0.35, 0.65, 0.45])  # referrals answer, cold outbound rarely
QUALIFY_P = np.array([0.60, 0.50, 0.75, 0.55, 0.55, 0.45])  # of engaged leads
WIN_P = np.array([0.55, 0.50, 0.70, 0.40, 0.55, 0.45])  # of first offers
REP_SKILL = np.array([1.20, 1.10, 1.05, 1.00, 1.00, 0.90, 0.85, 0.75])  # scales engage/qualify/win odds
REP_ACTIVITY = np.array([0.8, 1.0, 1.3, 1.0, 1.6, 0.9, 1.2, 0.7])  # scales calls and emails made

# Contacts: 0 = a lead; 1 = an existing customer (buys, never a lead); 2 = an existing customer who
# later also gets a lead_created (not a lead by docs/contract.md ("Derived facts"): first purchase before lead time).
CONTACT_KIND_SHARE = [0.92, 0.065, 0.015]

# Unanswered attempts (before the first conversation, or for never-engaged leads) and any sales call.
NO_CONNECT = [VOICEMAIL, GATEKEEPER, NO_ANSWER, BUSY, WRONG_NUMBER]
NO_CONNECT_P = [0.35, 0.15, 0.30, 0.12, 0.08]
CALL_P = [0.30, 0.25, 0.10, 0.20, 0.10, 0.05]  # over CALL_OUTCOMES
MEETING_P = [0.70, 0.15, 0.15]  # held, no_show, cancelled

# Timestamp styles of different source systems: 'Z', a '+02:00' offset, or naive (= UTC).
TS_STYLE_P = [0.5, 0.3, 0.2]
TS_SUFFIX = ["Z", "+02:00", ""]
TS_SHIFT = np.array([0.0, 2 * HOUR, 0.0])  # a '+02:00' value shows the local wall-clock time

# --- dirty mode: docs/contract.md ("Bad input"), one kind per rejection rule ----------------------

DUPLICATE_SHARE = 0.01  # exact repeats of delivered rows
MALFORMED_SHARE = 0.025  # of all rows written: under the pipeline's 5% quality threshold
NOTE_SHARE = 0.03  # rows carrying the unknown column `crm_note`

ALL_TYPES = list(range(len(EVENT_TYPES)))
NEGATE = "negate"  # instead of a list of bad values: minus the real amount


class Defect(NamedTuple):
    kind: str  # the rejection rule of docs/contract.md ("Bad input") it breaks
    types: list[int]  # the event types it is made from (copies of real rows)
    field: str  # the column it breaks
    values: list[str | None] | str  # bad values (None = absent), or NEGATE


# Every rejection rule, and within "missing_required" every required field of every type, gets rows.
DEFECTS = [
    Defect("missing_event_id", ALL_TYPES, "event_id", [None]),
    Defect("missing_contact_id", ALL_TYPES, "contact_id", [None]),
    Defect("missing_occurred_at", ALL_TYPES, "occurred_at", [None]),
    Defect("missing_event_type", ALL_TYPES, "event_type", [None]),
    Defect("bad_occurred_at", ALL_TYPES, "occurred_at",
           ["not a date", "2025-13-01T09:00:00", "31/12/2025 10:00", "2025-02-30T10:00:00Z"]),
    Defect("bad_updated_at", ALL_TYPES, "updated_at", ["last tuesday", "2025-06-31T00:00:00", "n/a"]),
    Defect("unknown_event_type", ALL_TYPES, "event_type", ["sms", "webinar_attended", "note", "lead-created"]),
    Defect("bad_direction", [CALL, EMAIL], "direction", ["outgoing", "in", "both"]),
    Defect("bad_purpose", [CALL, EMAIL, MEETING], "purpose", ["marketing", "billing", "sale"]),
    Defect("bad_outcome", [CALL], "outcome", ["held", "left_message"]),  # a meeting outcome on a call
    Defect("bad_outcome", [MEETING], "outcome", ["connected", "rescheduled"]),
    Defect("bad_is_valid", [REFERRAL], "is_valid", ["yes", "maybe", "pending"]),
    Defect("missing_required", [CALL], "direction", [None]),
    Defect("missing_required", [CALL], "outcome", [None]),
    Defect("missing_required", [EMAIL], "direction", [None]),
    Defect("missing_required", [MEETING], "outcome", [None]),
    Defect("missing_required", [OFFER_SENT], "offer_id", [None]),
    Defect("missing_required", [OFFER_SENT], "amount", [None]),
    Defect("missing_required", [OFFER_LOST], "offer_id", [None]),
    Defect("missing_required", [PURCHASE], "amount", [None]),
    Defect("missing_required", [REFERRAL], "is_valid", [None]),
    Defect("negative_amount", [OFFER_SENT, PURCHASE], "amount", NEGATE),
    Defect("non_numeric_amount", [OFFER_SENT, PURCHASE], "amount", ["n/a", "12k", "EUR 450", "1.200,50"]),
]  # fmt: skip
MALFORMED_KINDS = list(dict.fromkeys(d.kind for d in DEFECTS))
NOTES = [
    'Asked for a call back "after the holidays"', "Prefers email, not phone", "Budget approved, Q3",
    "Spoke to assistant; decision maker is the CFO", "Duplicate of an older CRM record?",
]  # fmt: skip

# --- a columnar event log ---------------------------------------------------------------------------

# Integer code columns use NULL (-1) for absent; float columns use NaN.
_EVENT_FIELDS = {
    "contact": np.int64, "etype": np.int8, "t": np.float64, "rep": np.int8, "source": np.int8,
    "direction": np.int8, "purpose": np.int8, "outcome": np.int8, "offer": np.int64,
    "amount": np.float64, "referred": np.int64, "is_valid": np.int8,
}  # fmt: skip


class EventLog:
    """Events collected as blocks of equal-length arrays, concatenated once at the end."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(self, etype, contact, t, **fields) -> None:
        """Add len(contact) events; any field is a scalar or an array of that length."""
        n = len(contact)
        given = {"etype": etype, "contact": contact, "t": t, **fields}
        block = {}
        for name, dtype in _EVENT_FIELDS.items():
            default = np.nan if np.dtype(dtype).kind == "f" else NULL
            block[name] = np.broadcast_to(np.asarray(given.pop(name, default), dtype=dtype), (n,))
        assert not given, f"unknown fields {sorted(given)}"
        self.blocks.append(block)

    def table(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate([b[name] for b in self.blocks]) for name in _EVENT_FIELDS}


class OfferIds:
    """Hands out consecutive offer numbers (`of-0000001`, ...)."""

    def __init__(self) -> None:
        self.next = 1

    def take(self, n: int) -> np.ndarray:
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids


# --- small helpers ----------------------------------------------------------------------------------


def _spread(rng: np.random.Generator, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """`counts[i]` events for row i at uniform times in [lo[i], hi[i]); returns (row index, time)."""
    rows = np.repeat(np.arange(len(counts)), counts)
    return rows, lo[rows] + rng.random(rows.size) * (hi - lo)[rows]


def _money(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    # Deal sizes are skewed: log-normal, rounded to the cent.
    return np.round(rng.lognormal(np.log(median), sigma, n), 2)


def _sales_purpose(rng: np.random.Generator, n: int) -> np.ndarray:
    # Many CRMs leave purpose empty on sales activity; missing means sales (docs/contract.md ("Input")).
    return np.where(rng.random(n) < 0.75, SALES, NULL)


def _handoff(rng: np.random.Generator, rep: np.ndarray) -> np.ndarray:
    # Now and then a colleague covers for the owning rep.
    other = rng.integers(0, len(REPS), rep.size)
    return np.where(rng.random(rep.size) < 0.05, other, rep)


def _days(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.uniform(lo, hi, n) * DAY


# --- journeys ---------------------------------------------------------------------------------------


def _attempts(log, rng, ids, rep, lo, hi, call_rate, email_rate) -> None:
    """Outbound calls nobody answers and outbound emails nobody replies to, in [lo, hi)."""
    rows, t = _spread(rng, rng.poisson(call_rate), lo, hi)
    outcome = rng.choice(NO_CONNECT, rows.size, p=NO_CONNECT_P)
    log.add(CALL, ids[rows], t, rep=_handoff(rng, rep[rows]), direction=OUTBOUND,
            purpose=_sales_purpose(rng, rows.size), outcome=outcome)  # fmt: skip
    rows, t = _spread(rng, rng.poisson(email_rate), lo, hi)
    log.add(EMAIL, ids[rows], t, rep=_handoff(rng, rep[rows]), direction=OUTBOUND,
            purpose=_sales_purpose(rng, rows.size))  # fmt: skip


def _first_conversations(log, rng, ids, rep, t) -> None:
    """The first conversation of an engaged lead: a connected call, a reply or a held meeting."""
    # outbound connected call, inbound email (a reply), inbound connected call, held meeting
    kind = rng.choice(4, ids.size, p=[0.55, 0.20, 0.10, 0.15])
    etype = np.array([CALL, EMAIL, CALL, MEETING])[kind]
    direction = np.array([OUTBOUND, INBOUND, INBOUND, NULL])[kind]
    outcome = np.array([CONNECTED, NULL, CONNECTED, HELD])[kind]
    log.add(etype, ids, t, rep=rep, direction=direction, purpose=_sales_purpose(rng, ids.size),
            outcome=outcome)  # fmt: skip


def _sales_cycle(log, rng, ids, rep, lo, hi, activity, qualified) -> None:
    """Calls, emails both ways and (for qualified leads) meetings between first conversation and close."""
    rows, t = _spread(rng, rng.poisson(2.0 * activity), lo, hi)
    direction = np.where(rng.random(rows.size) < 0.85, OUTBOUND, INBOUND)
    log.add(CALL, ids[rows], t, rep=_handoff(rng, rep[rows]), direction=direction,
            purpose=_sales_purpose(rng, rows.size), outcome=rng.choice(6, rows.size, p=CALL_P))  # fmt: skip
    for direction, rate in ((OUTBOUND, 2.5 * activity), (INBOUND, np.full(ids.size, 1.2))):
        rows, t = _spread(rng, rng.poisson(rate), lo, hi)
        log.add(EMAIL, ids[rows], t, rep=_handoff(rng, rep[rows]), direction=direction,
                purpose=_sales_purpose(rng, rows.size))  # fmt: skip
    meetings = np.where(qualified, 1 + rng.poisson(0.8, ids.size), 0)
    rows, t = _spread(rng, meetings, lo, hi)
    outcome = rng.choice([HELD, NO_SHOW, CANCELLED], rows.size, p=MEETING_P)
    log.add(MEETING, ids[rows], t, rep=rep[rows], purpose=_sales_purpose(rng, rows.size), outcome=outcome)


def _offers(log, rng, offer_ids, ids, rep, sent, amount, win_p, lost_share=0.6):
    """Send one offer per row and decide its fate; returns (won mask, purchase time).

    Won: a purchase carrying its offer_id, mostly within weeks, 10% only after the 90-day expiry.
    Lost: an offer_lost event. Neither: it expires after 90 days, or is still open when recent.
    """
    n = ids.size
    offer = offer_ids.take(n)
    log.add(OFFER_SENT, ids, sent, rep=rep, offer=offer, amount=amount)
    u = rng.random(n)
    won = u < win_p
    lost = ~won & (u < win_p + (1 - win_p) * lost_share)
    slow = rng.random(n) < 0.10
    bought = sent + np.where(slow, _days(rng, 91, 150, n), HOUR + rng.gamma(2.0, 10 * DAY, n))
    price = np.where(rng.random(n) < 0.3, np.round(amount * 0.9, 2), amount)  # some negotiate
    log.add(PURCHASE, ids[won], bought[won], rep=rep[won], offer=offer[won], amount=price[won])
    lost_at = sent + HOUR + rng.exponential(14 * DAY, n)
    log.add(OFFER_LOST, ids[lost], lost_at[lost], rep=rep[lost], offer=offer[lost])
    return won, bought


def _leads(log, rng, offer_ids, ids, rep, start, span) -> np.ndarray:
    """Journeys of the leads; returns each lead's lead-source index (5 = none given)."""
    n = ids.size
    src = rng.choice(SOURCE_SHARE.size, n, p=SOURCE_SHARE)
    src_code = np.where(src < len(LEAD_SOURCES), src, NULL)
    lead_t = start + rng.random(n) * span
    log.add(LEAD_CREATED, ids, lead_t, rep=rep, source=src_code)
    # A few leads fill in another form later; only the first lead_created counts (docs/contract.md ("Derived facts")).
    again = rng.random(n) < 0.04
    log.add(LEAD_CREATED, ids[again], (lead_t + _days(rng, 10, 120, n))[again], rep=rep[again],
            source=rng.integers(0, len(LEAD_SOURCES), n)[again])  # fmt: skip

    skill, activity = REP_SKILL[rep], REP_ACTIVITY[rep]
    engaged = rng.random(n) < np.clip(ENGAGE_P[src] * skill, 0, 0.95)
    # Some engaged leads only talk after the 30-day window: never engaged for metric 8 all the same.
    late = rng.random(n) < 0.12
    first_delay = np.minimum(10 * MINUTE + rng.exponential(4 * DAY, n), 29 * DAY)
    conv_t = lead_t + np.where(late, _days(rng, 31, 120, n), first_delay)

    e, ne = np.flatnonzero(engaged), np.flatnonzero(~engaged)
    _first_conversations(log, rng, ids[e], rep[e], conv_t[e])
    _attempts(log, rng, ids[e], rep[e], lead_t[e], conv_t[e], 1.5 * activity[e], 1.2 * activity[e])
    _attempts(log, rng, ids[ne], rep[ne], lead_t[ne], lead_t[ne] + 45 * DAY, 2.5 * activity[ne],
              2.0 * activity[ne])  # fmt: skip

    qualified = engaged & (rng.random(n) < np.clip(QUALIFY_P[src] * skill, 0, 0.95))
    qual_t = conv_t + HOUR + rng.exponential(6 * DAY, n)
    q = np.flatnonzero(qualified)
    log.add(LEAD_QUALIFIED, ids[q], qual_t[q], rep=rep[q])

    # The first offer decides the deal; some qualified leads get a second, rarely won, offer.
    close_t = np.full(n, np.inf)
    sent = qual_t[q] + HOUR + rng.exponential(8 * DAY, q.size)
    win_p = np.clip(WIN_P[src[q]] * skill[q], 0, 0.9)
    won, bought = _offers(log, rng, offer_ids, ids[q], rep[q], sent, _money(rng, 6000, 0.7, q.size), win_p)
    close_t[q[won]] = bought[won]
    second = rng.random(q.size) < 0.2
    sent2 = sent[second] + DAY + rng.exponential(15 * DAY, second.sum())
    _offers(log, rng, offer_ids, ids[q[second]], rep[q[second]], sent2,
            _money(rng, 3000, 0.6, second.sum()), win_p=0.2)  # fmt: skip

    # Self-serve: a few engaged, unqualified leads just buy (no offer). A CRM catch-up qualifies some
    # of them only after the purchase, so they don't count for conversations-to-close (metric 4).
    direct = np.flatnonzero(engaged & ~qualified & (rng.random(n) < 0.08))
    direct_t = conv_t[direct] + HOUR + rng.exponential(12 * DAY, direct.size)
    log.add(PURCHASE, ids[direct], direct_t, rep=rep[direct], amount=_money(rng, 800, 0.5, direct.size))
    close_t[direct] = direct_t
    late_q = rng.random(direct.size) < 0.1
    log.add(LEAD_QUALIFIED, ids[direct[late_q]], direct_t[late_q] + _days(rng, 1, 20, late_q.sum()),
            rep=rep[direct[late_q]])  # fmt: skip

    cycle_end = np.where(np.isfinite(close_t), close_t, conv_t + 60 * DAY)
    _sales_cycle(log, rng, ids[e], rep[e], conv_t[e], cycle_end[e], activity[e], qualified[e])
    return src


def _existing_customers(log, rng, offer_ids, ids, rep, relead, start, span) -> None:
    """Customers from before the data starts: they buy without being a lead."""
    n = ids.size
    first = start + rng.random(n) * span
    log.add(PURCHASE, ids, first, rep=rep, amount=_money(rng, 3000, 0.8, n))
    # Some sign up for a webinar afterwards: a lead_created after the first purchase (not a lead).
    r = np.flatnonzero(relead)
    log.add(LEAD_CREATED, ids[r], first[r] + _days(rng, 10, 200, r.size), rep=rep[r],
            source=rng.integers(0, len(LEAD_SOURCES), r.size))  # fmt: skip
    # Upsell offers to existing customers count in the offer loss rate too.
    up = np.flatnonzero(rng.random(n) < 0.25)
    _offers(log, rng, offer_ids, ids[up], rep[up], first[up] + _days(rng, 20, 200, up.size),
            _money(rng, 4000, 0.7, up.size), win_p=0.5)  # fmt: skip


def _customer_lives(log, rng, ids, rep, first, referral_pool) -> None:
    """After the first purchase: repeat purchases, referrals, customer service, upselling."""
    n = ids.size
    # Repeat purchases: some within the 90-day window of metric 9, some only later.
    u = rng.random(n)
    soon, later = u < 0.30, (u >= 0.30) & (u < 0.50)
    again = np.flatnonzero(soon | later)
    t = first + np.where(soon, _days(rng, 3, 88, n), _days(rng, 95, 300, n))
    log.add(PURCHASE, ids[again], t[again], rep=rep[again], amount=_money(rng, 1500, 0.6, again.size))
    more = np.flatnonzero(rng.random(n) < 0.10)
    log.add(PURCHASE, ids[more], first[more] + _days(rng, 100, 330, more.size), rep=rep[more],
            amount=_money(rng, 1500, 0.6, more.size))  # fmt: skip

    # Referrals: most within six months of the first purchase (metric 10), some later; 70% valid.
    u = rng.random(n)
    within, after = u < 0.28, (u >= 0.28) & (u < 0.38)
    r = np.flatnonzero(within | after)
    t = first + np.where(within, _days(rng, 7, 175, n), _days(rng, 190, 330, n))
    referred = referral_pool[rng.integers(0, referral_pool.size, r.size)]
    log.add(REFERRAL, ids[r], t[r], rep=rep[r], referred=referred,
            is_valid=(rng.random(r.size) < 0.7).astype(np.int8))  # fmt: skip

    # Customer service (purpose support): never sales activity, whatever the direction or outcome.
    rows, t = _spread(rng, rng.poisson(1.5, n), first + DAY, first + 300 * DAY)
    k = rows.size
    is_call = rng.random(k) < 0.55
    direction = np.where(rng.random(k) < np.where(is_call, 0.85, 0.6), INBOUND, OUTBOUND)
    outcome = np.where(is_call, rng.choice([CONNECTED, VOICEMAIL, NO_ANSWER], k, p=[0.8, 0.1, 0.1]), NULL)
    agent = np.where(rng.random(k) < 0.5, rep[rows], NULL)  # the service desk has no rep_id
    log.add(np.where(is_call, CALL, EMAIL), ids[rows], t, rep=agent, direction=direction,
            purpose=SUPPORT, outcome=outcome)  # fmt: skip

    # Reps keep selling to customers: sales calls and emails that are not prospecting (metrics 2, 3).
    activity = REP_ACTIVITY[rep]
    lo, hi = first + 14 * DAY, first + 300 * DAY
    rows, t = _spread(rng, rng.poisson(0.6 * activity), lo, hi)
    log.add(CALL, ids[rows], t, rep=rep[rows], direction=OUTBOUND, purpose=_sales_purpose(rng, rows.size),
            outcome=rng.choice(6, rows.size, p=CALL_P))  # fmt: skip
    rows, t = _spread(rng, rng.poisson(0.8 * activity), lo, hi)
    log.add(EMAIL, ids[rows], t, rep=rep[rows], direction=OUTBOUND, purpose=_sales_purpose(rng, rows.size))


def simulate_events(rng: np.random.Generator, contacts: int, start: float, end: float) -> dict:
    """Every event of every contact with `start <= occurred_at < end`, sorted by time, numbered 1..n."""
    log, offer_ids = EventLog(), OfferIds()
    span = end - start
    ids = np.arange(contacts, dtype=np.int64)
    rep = rng.integers(0, len(REPS), contacts)
    kind = rng.choice(3, contacts, p=CONTACT_KIND_SHARE)

    lead = kind == 0
    src = _leads(log, rng, offer_ids, ids[lead], rep[lead], start, span)
    old = kind > 0
    _existing_customers(log, rng, offer_ids, ids[old], rep[old], kind[old] == 2, start, span)

    # Customers are whoever bought (before the end) so far: their first purchase starts their life.
    ev = log.table()
    buys = ev["etype"] == PURCHASE
    first = np.full(contacts, np.inf)
    np.minimum.at(first, ev["contact"][buys], ev["t"][buys])
    cust = np.flatnonzero(first < end)
    referral_pool = ids[lead][src == LEAD_SOURCES.index("referral")]
    if referral_pool.size == 0:
        referral_pool = ids
    _customer_lives(log, rng, ids[cust], rep[cust], first[cust], referral_pool)

    ev = log.table()
    keep = ev["t"] < end  # what has not happened yet is not in the data
    ev = {k: v[keep] for k, v in ev.items()}
    ev["t"] = np.floor(ev["t"])  # whole seconds
    order = np.lexsort((ev["etype"], ev["contact"], ev["t"]))
    ev = {k: v[order] for k, v in ev.items()}
    ev["num"] = np.arange(1, order.size + 1, dtype=np.int64)  # event ids follow time, like a CRM's
    return ev


# --- versions: updated_at and corrections -----------------------------------------------------------


def _correct(rng: np.random.Generator, ev: dict) -> None:
    """Change one field of each event, in place, the way a CRM user fixes a record."""
    n = ev["etype"].size
    etype = ev["etype"]
    is_call, is_meeting = etype == CALL, etype == MEETING
    is_money = (etype == OFFER_SENT) | (etype == PURCHASE)
    # A call's outcome is re-logged (another call outcome), a meeting turns out a no-show, ...
    other_call = (ev["outcome"] + rng.integers(1, 6, n)) % 6
    other_meeting = HELD + (ev["outcome"] - HELD + rng.integers(1, 3, n)) % 3
    ev["outcome"] = np.where(is_call, other_call, np.where(is_meeting, other_meeting, ev["outcome"]))
    factor = rng.choice([0.85, 0.9, 0.95, 1.05, 1.1], n)  # a discount or a surcharge: never the same
    ev["amount"] = np.where(is_money, np.round(ev["amount"] * factor, 2), ev["amount"])
    ev["is_valid"] = np.where(etype == REFERRAL, 1 - ev["is_valid"], ev["is_valid"])
    other_source = (np.maximum(ev["source"], 0) + rng.integers(1, len(LEAD_SOURCES), n)) % len(LEAD_SOURCES)
    ev["source"] = np.where(etype == LEAD_CREATED, other_source, ev["source"])
    # Others are reassigned to another rep.
    reassign = ~(is_call | is_meeting | is_money | (etype == REFERRAL) | (etype == LEAD_CREATED))
    other_rep = (np.maximum(ev["rep"], 0) + rng.integers(1, len(REPS), n)) % len(REPS)
    ev["rep"] = np.where(reassign, other_rep, ev["rep"])
    for name, dtype in _EVENT_FIELDS.items():
        ev[name] = ev[name].astype(dtype)


def add_versions(rng: np.random.Generator, ev: dict) -> tuple[dict, int]:
    """Give events an updated_at, and deliver ~0.6% twice: again later with a changed field.

    Returns the delivered rows (their delivery time in `deliver`) and the number of corrections.
    """
    n = ev["t"].size
    t = ev["t"]
    updated = np.where(rng.random(n) < 0.3, t + np.floor(rng.uniform(MINUTE, 2 * DAY, n)), np.nan)
    fixed = rng.random(n) < 0.006
    # The first version of a corrected event mostly has its own updated_at (else the later one wins
    # because a version with updated_at outranks one without).
    own = rng.random(n) < 0.75
    updated = np.where(fixed & own & np.isnan(updated), t + np.floor(rng.uniform(MINUTE, HOUR, n)), updated)
    updated = np.where(fixed & ~own, np.nan, updated)
    fixed_at = np.where(np.isnan(updated), t, updated) + np.floor(rng.uniform(HOUR, 10 * DAY, n))

    deliver = t.copy()
    # Some stale versions are delivered again after their correction (a replayed export): the latest
    # updated_at must win whatever the delivery order. They move; they are not repeated.
    replay = fixed & (rng.random(n) < 0.2)
    deliver[replay] = fixed_at[replay] + rng.uniform(HOUR, 3 * DAY, n)[replay]

    f = np.flatnonzero(fixed)
    correction = {k: v[f].copy() for k, v in ev.items()}
    _correct(rng, correction)
    correction["updated"] = fixed_at[f]
    correction["deliver"] = fixed_at[f]
    rows = {**ev, "updated": updated, "deliver": deliver}
    rows = {k: np.concatenate([rows[k], correction[k]]) for k in rows}
    m = rows["t"].size
    rows["occ_style"] = rng.choice(3, m, p=TS_STYLE_P).astype(np.int8)
    rows["upd_style"] = rng.choice(3, m, p=TS_STYLE_P).astype(np.int8)
    rows["bad"] = np.full(m, NULL, np.int8)  # index into DEFECTS
    rows["variant"] = np.zeros(m, np.int64)  # which bad value
    rows["note"] = np.full(m, NULL, np.int8)
    return rows, f.size


# --- dirty mode ---------------------------------------------------------------------------------------


def _copy_rows(rows: dict, picks: np.ndarray, delay: np.ndarray) -> dict:
    copy = {k: v[picks].copy() for k, v in rows.items()}
    copy["deliver"] = copy["deliver"] + delay
    return copy


def add_dirt(rng: np.random.Generator, rows: dict) -> tuple[dict, int, dict[str, int]]:
    """Add exact duplicate deliveries, malformed rows of every kind and crm_note values.

    Malformed rows are broken copies of real rows: rejecting them loses nothing, so the accepted
    events are exactly the clean ones. Returns (rows, duplicates, malformed count per kind).
    """
    m = rows["t"].size
    dup = np.sort(rng.choice(m, int(round(DUPLICATE_SHARE * m)), replace=False))
    parts = [rows, _copy_rows(rows, dup, rng.uniform(0, 3 * DAY, dup.size))]

    # Enough for MALFORMED_SHARE of all rows written, shared evenly by the kinds and, within a kind,
    # by its defects; at least one row of each defect.
    total = MALFORMED_SHARE * (m + dup.size) / (1 - MALFORMED_SHARE)
    counts = dict.fromkeys(MALFORMED_KINDS, 0)
    for code, defect in enumerate(DEFECTS):
        variants = sum(d.kind == defect.kind for d in DEFECTS)
        pool = np.flatnonzero(np.isin(rows["etype"], defect.types))
        wanted = max(1, int(total / len(MALFORMED_KINDS) / variants))
        picks = np.sort(rng.choice(pool, min(wanted, pool.size), replace=False))
        bad = _copy_rows(rows, picks, rng.uniform(0, 2 * DAY, picks.size))
        bad["bad"][:] = code
        bad["variant"] = rng.integers(0, 1 << 30, picks.size)
        parts.append(bad)
        counts[defect.kind] += int(picks.size)
    rows = {k: np.concatenate([p[k] for p in parts]) for k in rows}
    n = rows["t"].size
    rows["note"] = np.where(rng.random(n) < NOTE_SHARE, rng.integers(0, len(NOTES), n), NULL).astype(np.int8)
    return rows, int(dup.size), counts


# --- formatting: integer codes to the contract's text --------------------------------------------------


def _codes_to_text(vocab: list[str], codes: np.ndarray) -> pa.Array:
    return pa.array(vocab, pa.string()).take(pa.array(codes, mask=codes < 0))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """`prefix` + zero-padded number, null where the number is negative."""
    # Zero-padding by arithmetic: 10**width + 42 prints as '1000042'; its leading '1' becomes prefix
    # (an order of magnitude faster than padding text).
    text = pc.cast(pa.array(numbers + 10**width, mask=numbers < 0), pa.string())
    return pc.binary_replace_slice(text, 0, 1, prefix)


def _timestamps(seconds: np.ndarray, style: np.ndarray) -> pa.Array:
    """ISO-8601 text in the row's style: '...Z', '...+02:00' (local time) or naive (UTC)."""
    missing = np.isnan(seconds)
    local = np.where(missing, 0, seconds + TS_SHIFT[style]).astype(np.int64).astype("datetime64[s]")
    # Arrow prints a timestamp as 'YYYY-MM-DD HH:MM:SS' (far faster than strftime); make it ISO 'T'.
    text = pc.replace_substring(
        pc.cast(pa.array(local, mask=missing), pa.string()), " ", "T", max_replacements=1
    )
    return pc.binary_join_element_wise(text, _codes_to_text(TS_SUFFIX, style), "")


def _break_rows(cols: dict[str, pa.Array], rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """Put each malformed row's defect into the text columns; returns the masks of amount and
    is_valid values that are now text rather than a number or a boolean (JSON must quote them)."""
    n = rows["t"].size
    quote = {"amount": np.zeros(n, bool), "is_valid": np.zeros(n, bool)}
    changes: dict[str, tuple[list, list]] = {}  # field -> (row positions, new values)
    for code, defect in enumerate(DEFECTS):
        where = np.flatnonzero(rows["bad"] == code)
        if defect.values == NEGATE:
            values = [f"-{a}" for a in cols[defect.field].take(pa.array(where)).to_pylist()]
        else:
            values = [defect.values[v % len(defect.values)] for v in rows["variant"][where]]
            if defect.field in quote and defect.values != [None]:
                quote[defect.field][where] = True
        positions, new_values = changes.setdefault(defect.field, ([], []))
        positions.extend(where.tolist())
        new_values.extend(values)
    # One replacement per column: the values in row order, where the mask is true.
    for field, (positions, values) in changes.items():
        order = np.argsort(positions)
        mask = np.zeros(n, bool)
        mask[positions] = True
        new = pa.array([values[i] for i in order], pa.string())
        cols[field] = pc.replace_with_mask(cols[field], pa.array(mask), new)
    return quote["amount"], quote["is_valid"]


def to_table(rows: dict, fmt: str, contacts: int, dirty: bool) -> pa.Table:
    """The delivered rows in delivery order, as the contract's columns."""
    order = np.argsort(rows["deliver"], kind="stable")
    rows = {k: v[order] for k, v in rows.items()}
    contact_width = max(6, len(str(contacts)))
    contact_ids = _ids("c-", np.arange(1, contacts + 1), contact_width)
    cols = {
        "event_id": _ids("ev-", rows["num"], 9),
        "event_type": _codes_to_text(EVENT_TYPES, rows["etype"]),
        "occurred_at": _timestamps(rows["t"], rows["occ_style"]),
        "contact_id": contact_ids.take(pa.array(rows["contact"])),
        "rep_id": _codes_to_text(REPS, rows["rep"]),
        "lead_source": _codes_to_text(LEAD_SOURCES, rows["source"]),
        "direction": _codes_to_text(DIRECTIONS, rows["direction"]),
        "purpose": _codes_to_text(PURPOSES, rows["purpose"]),
        "outcome": _codes_to_text(OUTCOMES, rows["outcome"]),
        "offer_id": _ids("of-", rows["offer"], 7),
        "amount": pc.cast(pa.array(rows["amount"], mask=np.isnan(rows["amount"])), pa.string()),
        "referred_contact_id": contact_ids.take(pa.array(rows["referred"], mask=rows["referred"] < 0)),
        "is_valid": _codes_to_text(["false", "true"], rows["is_valid"]),
        "updated_at": _timestamps(rows["updated"], rows["upd_style"]),
    }
    text_amount, text_valid = _break_rows(cols, rows) if dirty else (None, None)
    if fmt == "jsonl":
        # Written as raw JSON: numbers and booleans stay unquoted, the broken values become strings.
        cols["amount"] = _json_text(cols["amount"], text_amount)
        cols["is_valid"] = _json_text(cols["is_valid"], text_valid)
    elif fmt == "parquet" and not dirty:
        # Clean Parquet is typed; dirty Parquet keeps text so that '12k' or 'maybe' can exist.
        cols["amount"] = pc.cast(cols["amount"], pa.float64())
        cols["is_valid"] = pc.equal(cols["is_valid"], "true")
    if dirty:
        cols[EXTRA_COLUMN] = _codes_to_text(NOTES, rows["note"])
    return pa.table(cols)


def _json_text(column: pa.Array, quote: np.ndarray | None) -> pa.Array:
    if quote is None or not quote.any():
        return column
    quoted = [json.dumps(v) for v in column.filter(pa.array(quote)).to_pylist()]
    return pc.replace_with_mask(column, pa.array(quote), pa.array(quoted, pa.string()))


# --- writing ------------------------------------------------------------------------------------------


def _write_file(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        # Row groups of DuckDB's own size, so that a reader can split a file across its threads
        # (one group per file would be read by one thread).
        pq.write_table(table, path, compression="zstd", row_group_size=122_880)
        return
    con = duckdb.connect()
    try:
        con.register("chunk", table)
        columns = ", ".join(
            f"{c}::json as {c}" if fmt == "jsonl" and c in ("amount", "is_valid") else c
            for c in table.column_names
        )
        target = str(path).replace("'", "''")
        options = "format json" if fmt == "jsonl" else "format csv, header true, delimiter ','"
        con.execute(f"copy (select {columns} from chunk) to '{target}' ({options})")
    finally:
        con.close()


def write_files(table: pa.Table, out_dir: Path, fmt: str, files: int) -> list[Path]:
    """Split the rows (in delivery order) into `files` consecutive parts: sales_events_0001.<fmt>, ..."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = max(1, min(files, table.num_rows))
    bounds = np.linspace(0, table.num_rows, files + 1).round().astype(int)
    paths = []
    for i in range(files):
        path = out_dir / f"sales_events_{i + 1:04d}.{fmt}"
        _write_file(table.slice(bounds[i], bounds[i + 1] - bounds[i]), path, fmt)
        paths.append(path)
    return paths


# --- the entry points ------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _epoch(day: dt.date) -> float:
    return float(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


ROWS_PER_FILE = 1_000_000


def generate(
    out_dir: str | Path,
    contacts: int,
    seed: int,
    fmt: str = "jsonl",
    dirty: bool = False,
    start: str | dt.date = "2025-01-01",
    months: int = 12,
    files: int | None = None,
) -> dict:
    """Write demo event files into `out_dir`; return a summary.

    `events` is the number of distinct valid events (what staging holds), `rows` every row written,
    `valid_rows` the rows a loader accepts (events + corrections + duplicates), `malformed` the rows
    it must reject, by kind. `files` defaults to one per million rows.
    """
    if fmt not in ("jsonl", "csv", "parquet"):
        raise ValueError(f"format must be jsonl, csv or parquet, not {fmt!r}")
    if contacts < 1 or months < 1:
        raise ValueError("contacts and months must be at least 1")
    start_day = dt.date.fromisoformat(start) if isinstance(start, str) else start
    end_day = _add_months(start_day, months)
    # Independent streams: the clean data does not depend on --dirty.
    clean_rng = np.random.default_rng([seed, 0])
    dirt_rng = np.random.default_rng([seed, 1])

    events = simulate_events(clean_rng, contacts, _epoch(start_day), _epoch(end_day))
    rows, corrections = add_versions(clean_rng, events)
    duplicates, malformed = 0, {}
    if dirty:
        rows, duplicates, malformed = add_dirt(dirt_rng, rows)
    table = to_table(rows, fmt, contacts, dirty)
    if files is None:
        files = math.ceil(table.num_rows / ROWS_PER_FILE)
    paths = write_files(table, Path(out_dir), fmt, files)
    malformed_rows = sum(malformed.values())
    return {
        "files": [str(p) for p in paths],
        "format": fmt,
        "contacts": contacts,
        "seed": seed,
        "dirty": dirty,
        "start": start_day.isoformat(),
        "end": end_day.isoformat(),  # exclusive: every occurred_at is before it
        "events": int(events["num"].size),
        "rows": table.num_rows,
        "valid_rows": table.num_rows - malformed_rows,
        "corrections": corrections,
        "duplicates": duplicates,
        "malformed_rows": malformed_rows,
        "malformed": malformed,
    }


def one_more_day(history: list[Path], out_file: str | Path, seed: int = 1) -> dict:
    """Write the events of the day after the latest day of the Parquet `history` files to `out_file`.

    For a run after a day's file lands (scripts/benchmark.py): the latest day's activity again, one
    day later, as new events (about half of that day's rows, malformed ones included); late events,
    new events that occurred in the week before (1 in 100 of that week's rows); and corrections, a
    new version of 1 in 100 events of the last 10 days, reassigned to the next rep, with an
    updated_at later than any earlier version's. Returns the day and the row counts.
    """
    reps = "[" + ", ".join(f"'{r}'" for r in REPS) + "]"
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(
            """create temp table history as
            select *, timezone('UTC', try_cast(occurred_at as timestamptz)) as ts,
                   timezone('UTC', try_cast(updated_at as timestamptz)) as uts,
                   hash(coalesce(event_id, '') || ?::varchar) % 1000 as pick
            from read_parquet(?, union_by_name = true)""",
            [seed, [str(p) for p in history]],
        )
        day = con.execute("select max(ts)::date + 1 from history where ts < now()").fetchone()[0]
        iso = "'%Y-%m-%dT%H:%M:%SZ'"
        con.execute(
            f"""create temp table next_day as
            select 'new' as kind, * replace ('next-' || event_id as event_id,
                   strftime(ts + interval 1 day, {iso}) as occurred_at, null::varchar as updated_at)
            from history where ts::date = $day - 1 and pick < 500
            union all by name
            select 'late' as kind, * replace ('late-' || event_id as event_id, null::varchar as updated_at)
            from history where ts::date between $day - 8 and $day - 2 and pick between 500 and 509
              and event_id is not null
            union all by name
            select 'corrected' as kind, * replace (
                   {reps}[coalesce(list_position({reps}, rep_id), 0) % {len(REPS)} + 1] as rep_id,
                   strftime(greatest($day + interval 12 hour,
                                     max(uts) over (partition by event_id) + interval 1 hour), {iso})
                       as updated_at)
            from history where ts::date between $day - 11 and $day - 1 and pick between 510 and 519
              and event_id is not null""",
            {"day": day},
        )
        counts = dict(con.execute("select kind, count(*) from next_day group by kind").fetchall())
        target = str(out_file).replace("'", "''")
        con.execute(
            f"copy (select * exclude (kind, ts, uts, pick) from next_day) to '{target}' "
            "(format parquet, compression zstd)"
        )
    finally:
        con.close()
    return {
        "day": day.isoformat(),
        "rows": sum(counts.values()),
        **{k: counts.get(k, 0) for k in ("new", "late", "corrected")},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", required=True, help="folder to write the event files into")
    parser.add_argument(
        "--contacts", type=int, default=3000, help="number of contacts (about 9.4 events each)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], default="jsonl")
    parser.add_argument(
        "--dirty", action="store_true", help="add duplicates, malformed rows, a crm_note column"
    )
    parser.add_argument("--start", default="2025-01-01", help="first day of the data (UTC)")
    parser.add_argument("--months", type=int, default=12, help="how many calendar months of data")
    parser.add_argument("--files", type=int, default=None, help="number of files (default: one per 1M rows)")
    parser.add_argument(
        "--quiet", action="store_true", help="one line, without the count of each malformed kind"
    )
    args = parser.parse_args(argv)
    summary = generate(args.out, args.contacts, args.seed, args.format, args.dirty, args.start, args.months,
                       args.files)  # fmt: skip
    print(
        f"Wrote {summary['rows']:,} rows ({summary['events']:,} events, {summary['corrections']:,} corrections, "
        f"{summary['duplicates']:,} duplicates, {summary['malformed_rows']:,} malformed) for "
        f"{args.contacts:,} contacts, {summary['start']} to {summary['end']}, into {len(summary['files'])} "
        f"{args.format} file(s) in {args.out}"
    )
    for kind, count in summary["malformed"].items() if not args.quiet else ():
        print(f"  malformed {kind}: {count}")
    return summary


if __name__ == "__main__":
    main()
