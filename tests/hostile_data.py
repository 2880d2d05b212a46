"""Hostile rows for the whole graph: the extremes of every type the contract's columns can carry.

`write_hostile_landing(folder, now)` writes a JSON Lines file and a Parquet file (typed columns:
timestamps, doubles, booleans, integers), next to a small clean demo export. The rows the loader must
accept sit right at the limits (the earliest plausible time, the load's time plus almost the whole
tolerance, the largest double, 10,000-character and non-Latin strings); the rows it must reject carry
their expected reason. Nothing downstream may crash on any of them.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

LONG = "ü" * 10_000
ODD = 'rep "quoted" \\ </script><b>x</b> \u202eRTL\u202c 👩‍💼 e\u0301 \t tab'
MAX_DOUBLE = "1.7976931348623157e308"

# event_id -> the start of the reason the loader gives (checked in tests/test_hostile_input.py)
REJECTED = {
    "year-1": "occurred_at is before 2000-01-01",
    "bc": "occurred_at is before 2000-01-01",
    "year-9999": "occurred_at is after ",
    "year-10000": "occurred_at is after ",
    "infinity": "occurred_at is after ",
    "minus-infinity": "occurred_at is before 2000-01-01",
    "nan-time": "occurred_at is not an ISO-8601 timestamp: NaN",
    "long-time": "occurred_at is not an ISO-8601 timestamp: ",
    "updated-9999": "updated_at is after ",
    "updated-year-1": "updated_at is before 2000-01-01",
    "nan-amount": "amount is not a number: NaN",
    "inf-amount": "amount is not a number: inf",
    "overflow-amount": "amount is not a number: 1e400",
    "negative-amount": "amount is negative: -1e-300",
    "pq-year-9999": "occurred_at is after ",
    "pq-year-1": "occurred_at is before 2000-01-01",
    "pq-nan-amount": "amount is not a number: nan",
    "pq-inf-amount": "amount is not a number: inf",
}


def _events(now: datetime) -> list[dict]:
    soon = (now + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    lead = {"event_type": "lead_created", "lead_source": LONG}
    offer = {"event_type": "offer_sent", "offer_id": "o-max"}
    accepted = [
        {**lead, "event_id": "floor", "contact_id": "c-floor", "occurred_at": "2000-01-01T00:00:00Z",
         "rep_id": ODD, "updated_at": "2000-01-01T00:00:00Z"},
        {**lead, "event_id": LONG, "contact_id": "联系人-👩‍💼", "occurred_at": "2025-02-01T08:00:00+14:00"},
        {**offer, "event_id": "max-1", "contact_id": "联系人-👩‍💼", "occurred_at": "2025-02-02T00:00:00Z",
         "amount": MAX_DOUBLE, "rep_id": ODD},
        {"event_type": "purchase", "event_id": "max-2", "contact_id": "联系人-👩‍💼", "offer_id": "o-max",
         "occurred_at": "2025-02-03T00:00:00Z", "amount": MAX_DOUBLE, "rep_id": LONG},
        {"event_type": "purchase", "event_id": "max-3", "contact_id": "联系人-👩‍💼",
         "occurred_at": "2025-02-04T00:00:00Z", "amount": MAX_DOUBLE},
        {"event_type": "purchase", "event_id": "tiny", "contact_id": "c-floor",
         "occurred_at": "2025-03-01T00:00:00Z", "amount": "4.9e-324"},
        {"event_type": "referral", "event_id": "ref", "contact_id": "c-floor", "is_valid": "TRUE",
         "referred_contact_id": LONG, "occurred_at": "2025-03-02T00:00:00Z"},
        {"event_type": "call", "event_id": "soon", "contact_id": "c-floor", "direction": "outbound",
         "outcome": "connected", "occurred_at": soon, "rep_id": "r-1"},
        {"event_type": "email", "event_id": "nested", "contact_id": {"deep": [[[{"x": 1}]]]},
         "direction": "inbound", "occurred_at": "2025-03-03T00:00:00Z", "rep_id": 12345678901234567890},
    ]  # fmt: skip
    call = {"event_type": "call", "contact_id": "c-x", "direction": "outbound", "outcome": "busy"}
    times = {"year-1": "0001-01-01T00:00:00Z", "bc": "-0001-06-01", "year-9999": "9999-12-31T23:59:59Z",
             "year-10000": "10000-01-01", "infinity": "infinity", "minus-infinity": "-infinity",
             "nan-time": "NaN", "long-time": "2025-" + "9" * 10_000}  # fmt: skip
    rejected = [{**call, "event_id": k, "occurred_at": v} for k, v in times.items()]
    rejected += [
        {**call, "event_id": "updated-9999", "occurred_at": "2025-01-01", "updated_at": "9999-01-01"},
        {**call, "event_id": "updated-year-1", "occurred_at": "2025-01-01", "updated_at": "0001-01-01"},
    ]
    amounts = {"nan-amount": "NaN", "inf-amount": "inf", "overflow-amount": "1e400",
               "negative-amount": "-1e-300"}  # fmt: skip
    rejected += [{**offer, "event_id": k, "contact_id": "c-x", "occurred_at": "2025-01-01", "amount": v}
                 for k, v in amounts.items()]  # fmt: skip
    return accepted + rejected


def write_hostile_landing(folder: Path, now: datetime) -> None:
    """hostile.jsonl and hostile.parquet in `folder` (`now`: naive UTC, the time of the loads)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(row, ensure_ascii=False) for row in _events(now)]
    (folder / "hostile.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with duckdb.connect() as con:  # typed columns, as a warehouse export would carry them
        con.execute(
            """copy (
                select * from (values
                    ('pq-year-9999', 'call', timestamp '9999-12-31 00:00:00', 'c-p', 'outbound', 'busy',
                     null::double, null::boolean, 9223372036854775807),
                    ('pq-year-1', 'call', timestamp '0001-01-01 00:00:00', 'c-p', 'outbound', 'busy',
                     null, null, -9223372036854775808),
                    ('pq-nan-amount', 'offer_sent', timestamp '2025-01-01 00:00:00', 'c-p', null, null,
                     'nan'::double, null, 0),
                    ('pq-inf-amount', 'offer_sent', timestamp '2025-01-01 00:00:00', 'c-p', null, null,
                     'inf'::double, null, 0),
                    ('pq-ok', 'referral', timestamp '2025-04-01 00:00:00', 'c-floor', null, null,
                     null, false, 1)
                ) t(event_id, event_type, occurred_at, contact_id, direction, outcome, amount, is_valid,
                    offer_id)
            ) to ? (format parquet)""",
            [str(folder / "hostile.parquet")],
        )
