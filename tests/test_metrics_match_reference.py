"""An independent check of the ten metrics (issue 3, item 7).

Two parts:

- unit tests of the pandas reference (tests/reference_metrics.py) on tiny hand-built event lists,
  whose expected values were computed by hand from docs/contract.md ("Input", "Derived facts", "The ten metrics");
- the integration comparison: dirty demo data in JSONL, CSV and Parquet goes through the real
  pipeline (Dagster in-process: ingestion, dbt), and marts.metric_values must equal the reference
  computed from raw.sales_events, value by value, with and without an as_of in the middle of the data.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.reference_metrics import METRICS, OUTPUT_COLUMNS, compute_metric_values, deduplicate

NAN = float("nan")

# --------------------------------------------------------------------------------------------------
# Helpers for hand-built events
# --------------------------------------------------------------------------------------------------


def event(
    event_id: str, event_type: str, occurred_at: str, contact_id: str, rep_id: str | None = "r1", **fields
):
    return {"event_id": event_id, "event_type": event_type, "occurred_at": occurred_at,
            "contact_id": contact_id, "rep_id": rep_id, **fields}  # fmt: skip


def call(event_id, at, contact, outcome="connected", direction="outbound", **fields):
    return event(event_id, "call", at, contact, direction=direction, outcome=outcome, **fields)


def email(event_id, at, contact, direction="outbound", **fields):
    return event(event_id, "email", at, contact, direction=direction, **fields)


def meeting(event_id, at, contact, outcome="held", **fields):
    return event(event_id, "meeting", at, contact, outcome=outcome, **fields)


def purchase(event_id, at, contact, **fields):
    return event(event_id, "purchase", at, contact, amount=fields.pop("amount", 100.0), **fields)


def lead(event_id, at, contact, source="webinar", **fields):
    return event(event_id, "lead_created", at, contact, lead_source=source, **fields)


def metrics(events: list[dict], as_of=None) -> pd.DataFrame:
    return compute_metric_values(pd.DataFrame(events), as_of=as_of)


def row(result: pd.DataFrame, metric: str, month: str, dimension: str = "all", value: str | None = None):
    """(numerator, denominator, value) of one key; fails unless exactly one row has it."""
    chosen = result[
        (result["metric"] == metric)
        & (result["period_start"] == pd.Timestamp(month))
        & (result["dimension"] == dimension)
        & ((result["dimension_value"].isna()) if value is None else (result["dimension_value"] == value))
    ]
    assert len(chosen) == 1, f"{metric} {month} {dimension}={value}: {len(chosen)} rows"
    found = chosen.iloc[0]
    return (found["numerator"], found["denominator"], found["value"])


def same(actual: tuple, expected: tuple) -> bool:
    """Tuples of floats equal, NaN equal to NaN."""
    return len(actual) == len(expected) and all(
        (isinstance(b, float) and math.isnan(b) and math.isnan(a))
        or (not math.isnan(a) and math.isclose(a, b))
        for a, b in zip(actual, expected, strict=True)
    )


def check(result, metric, month, expected, dimension="all", value=None):
    got = row(result, metric, month, dimension, value)
    assert same(got, expected), f"{metric} {month} {dimension}={value}: got {got}, expected {expected}"


def months_of(result: pd.DataFrame, metric: str, dimension: str = "all") -> list[str]:
    chosen = result[(result["metric"] == metric) & (result["dimension"] == dimension)]
    return sorted({stamp.strftime("%Y-%m") for stamp in chosen["period_start"]})


def dimension_values(result: pd.DataFrame, metric: str, dimension: str) -> set:
    chosen = result[(result["metric"] == metric) & (result["dimension"] == dimension)]
    return set(chosen["dimension_value"])


# --------------------------------------------------------------------------------------------------
# Unit tests: deduplication, defaults, as_of
# --------------------------------------------------------------------------------------------------


def test_dedup_latest_updated_at_then_last_delivery():
    rows = [
        # e1: a version with updated_at beats a later-loaded one without it.
        call("e1", "2025-01-05T10:00:00", "c1", "connected", updated_at="2025-01-10T00:00:00", load_id=1, row_number=1),
        call("e1", "2025-01-05T10:00:00", "c1", "no_answer", load_id=2, row_number=1),
        # e2: no updated_at anywhere: the highest load_id wins, whatever the row number.
        call("e2", "2025-01-06T10:00:00", "c1", "connected", load_id=1, row_number=5),
        call("e2", "2025-01-06T10:00:00", "c1", "busy", load_id=2, row_number=1),
        # e3: the latest updated_at wins even when loaded first.
        call("e3", "2025-01-07T10:00:00", "c1", "busy", updated_at="2025-01-05T00:00:00", load_id=2, row_number=1),
        call("e3", "2025-01-07T10:00:00", "c1", "connected", updated_at="2025-01-06T00:00:00", load_id=1, row_number=1),
        # e4: same updated_at: the last delivery (same load, higher row number) wins.
        call("e4", "2025-01-08T10:00:00", "c1", "connected", updated_at="2025-01-09T00:00:00", load_id=1, row_number=2),
        call("e4", "2025-01-08T10:00:00", "c1", "voicemail", updated_at="2025-01-09T00:00:00", load_id=1, row_number=3),
        # e5: the correction moves the event to February.
        call("e5", "2025-01-09T10:00:00", "c1", "connected", load_id=1, row_number=9),
        call("e5", "2025-02-03T10:00:00", "c1", "connected", updated_at="2025-02-04T00:00:00", load_id=1, row_number=10),
    ]  # fmt: skip
    deduped = deduplicate(pd.DataFrame(rows)).set_index("event_id")
    assert deduped["outcome"].to_dict() == {
        "e1": "connected", "e2": "busy", "e3": "connected", "e4": "voicemail", "e5": "connected",
    }  # fmt: skip
    result = metrics(rows)
    check(result, "conversations", "2025-01-01", (2.0, NAN, 2.0))  # e1, e3
    check(result, "conversations", "2025-02-01", (1.0, NAN, 1.0))  # e5, moved
    # Every outbound sales call to a prospect counts once, whatever its outcome: e1-e4, then e5 in February.
    check(result, "prospect_calls", "2025-01-01", (4.0, NAN, 4.0))
    check(result, "prospect_calls", "2025-02-01", (1.0, NAN, 1.0))


def test_defaults_purpose_sales_and_lead_source_unknown():
    rows = [
        lead("l1", "2025-01-01T00:00:00", "c1", source=None),
        call("k1", "2025-01-02T00:00:00", "c1", purpose=None),  # missing purpose = sales
        call("k2", "2025-01-03T00:00:00", "c1", purpose="support"),  # support is never sales activity
        meeting("m1", "2025-01-04T00:00:00", "c1", purpose="support"),
        email("x1", "2025-01-05T00:00:00", "c1", direction="inbound", purpose="support"),
    ]
    result = metrics(rows)
    check(result, "conversations", "2025-01-01", (1.0, NAN, 1.0))
    check(result, "prospect_calls", "2025-01-01", (1.0, NAN, 1.0))
    assert dimension_values(result, "prospect_conversion_rate", "lead_source") == {"unknown"}
    check(result, "prospect_conversion_rate", "2025-01-01", (0.0, 1.0, 0.0), "lead_source", "unknown")


def test_as_of_default_given_date_and_offset():
    rows = [
        call("a", "2025-01-10T00:00:00", "c1"),
        call("b", "2025-02-10T00:00:00", "c1"),
        call("c", "2025-03-15T10:00:00", "c1"),
    ]
    # Default: latest occurred_at, so March is the last month.
    assert months_of(metrics(rows), "conversations") == ["2025-01", "2025-02", "2025-03"]
    # A date is its midnight UTC: the call at 10:00 that day is after as_of and ignored.
    result = metrics(rows, as_of="2025-03-15")
    assert months_of(result, "conversations") == ["2025-01", "2025-02", "2025-03"]
    check(result, "conversations", "2025-03-01", (0.0, NAN, 0.0))
    # An offset is honoured: 01:00+02:00 on March 1st is 23:00 UTC on February 28th.
    result = metrics(rows, as_of="2025-03-01T01:00:00+02:00")
    assert months_of(result, "conversations") == ["2025-01", "2025-02"]
    # An as_of beyond the data extends the months up to its own month.
    assert months_of(metrics(rows, as_of="2025-05-02"), "conversations")[-1] == "2025-05"
    # Before every event: no rows at all.
    assert metrics(rows, as_of="2024-12-31").empty
    assert list(metrics(rows, as_of="2024-12-31").columns) == OUTPUT_COLUMNS


# --------------------------------------------------------------------------------------------------
# Unit tests: metrics 1-3 (counts)
# --------------------------------------------------------------------------------------------------


def test_conversations_count_exchanges_only():
    rows = [
        call("k1", "2025-01-02T00:00:00", "c1", "connected"),
        call("k2", "2025-01-02T01:00:00", "c1", "voicemail"),
        call("k3", "2025-01-02T02:00:00", "c1", "connected", direction="inbound"),  # connected, either way
        meeting("m1", "2025-01-03T00:00:00", "c1", "held", rep_id="r2"),
        meeting("m2", "2025-01-03T01:00:00", "c1", "no_show", rep_id="r2"),
        email("x1", "2025-01-04T00:00:00", "c1", direction="inbound", rep_id=None),
        email("x2", "2025-01-04T01:00:00", "c1", direction="outbound"),
        meeting("m3", "2025-02-03T00:00:00", "c1", "held", purpose="support"),
    ]
    result = metrics(rows)
    check(result, "conversations", "2025-01-01", (4.0, NAN, 4.0))
    check(result, "conversations", "2025-01-01", (2.0, NAN, 2.0), "rep_id", "r1")
    check(result, "conversations", "2025-01-01", (1.0, NAN, 1.0), "rep_id", "r2")
    check(result, "conversations", "2025-01-01", (1.0, NAN, 1.0), "rep_id", "unknown")  # null rep
    check(result, "conversations", "2025-02-01", (0.0, NAN, 0.0))
    check(result, "conversations", "2025-02-01", (0.0, NAN, 0.0), "rep_id", "r2")  # no gaps


def test_prospect_calls_and_emails_switch_strictly_after_first_purchase():
    rows = [
        call("k1", "2025-01-02T00:00:00", "c1", "voicemail"),
        call("k2", "2025-01-03T00:00:00", "c1", "gatekeeper"),
        call("k3", "2025-01-10T12:00:00", "c1", "no_answer"),  # at the first purchase instant: prospect
        call("k4", "2025-01-10T12:00:01", "c1", "connected"),  # after it: customer
        call("k5", "2025-01-04T00:00:00", "c1", "connected", direction="inbound"),
        call("k6", "2025-01-04T00:00:00", "c1", "busy", purpose="support"),
        call("k7", "2025-01-05T00:00:00", "c2", "busy"),  # c2 never buys
        email("x1", "2025-01-02T00:00:00", "c1"),
        email("x2", "2025-01-10T12:00:00", "c1"),  # at the purchase: prospect
        email("x3", "2025-01-11T00:00:00", "c1"),  # customer
        email("x4", "2025-01-05T00:00:00", "c1", direction="inbound"),
        email("x5", "2025-01-05T00:00:00", "c2", purpose="support"),
        purchase("p1", "2025-01-10T12:00:00", "c1"),
        purchase("p2", "2025-01-09T00:00:00", "c3"),  # c3: first purchase before everything of c3
        call("k8", "2025-01-09T00:00:01", "c3", "busy"),
    ]
    result = metrics(rows)
    check(result, "prospect_calls", "2025-01-01", (4.0, NAN, 4.0))  # k1, k2, k3, k7
    check(result, "prospecting_emails", "2025-01-01", (2.0, NAN, 2.0))  # x1, x2


# --------------------------------------------------------------------------------------------------
# Unit tests: metric 4 conversations_to_close
# --------------------------------------------------------------------------------------------------


def test_conversations_to_close():
    q = "lead_qualified"
    rows = [
        # a: qualified Jan 10 (a second qualification later does not move it); bought Feb 15 10:00.
        event("qa", q, "2025-01-10T00:00:00", "a"),
        event("qa2", q, "2025-01-20T00:00:00", "a"),
        call("a1", "2025-01-05T00:00:00", "a"),  # before qualification: out
        call("a2", "2025-01-10T00:00:00", "a"),  # at qualification: in
        meeting("a3", "2025-02-01T00:00:00", "a"),  # in
        meeting("a4", "2025-02-02T00:00:00", "a", purpose="support"),  # not a conversation
        email("a5", "2025-02-15T10:00:00", "a", direction="inbound"),  # at the purchase: in
        call("a6", "2025-02-20T00:00:00", "a"),  # after: out
        purchase("pa", "2025-02-15T10:00:00", "a", rep_id="r2"),
        purchase("pa2", "2025-02-16T10:00:00", "a"),
        # b: qualified, bought, no conversation: counts 0 in the sum, 1 in the denominator.
        event("qb", q, "2025-01-20T00:00:00", "b"),
        purchase("pb", "2025-02-03T00:00:00", "b"),
        # c: qualified after its first purchase: out.  d: never qualified: out.
        purchase("pc", "2025-02-05T00:00:00", "c"),
        event("qc", q, "2025-02-06T00:00:00", "c"),
        call("c1", "2025-02-05T00:00:00", "c"),
        purchase("pd", "2025-02-07T00:00:00", "d", rep_id=None),
        call("d1", "2025-02-06T00:00:00", "d"),
        # e: qualified at the very instant of its first purchase: in, with that conversation.
        event("qe", q, "2025-03-01T00:00:00", "e"),
        call("e1", "2025-03-01T00:00:00", "e"),
        purchase("pe", "2025-03-01T00:00:00", "e"),
    ]
    result = metrics(rows)
    check(result, "conversations_to_close", "2025-01-01", (0.0, 0.0, NAN))
    check(result, "conversations_to_close", "2025-02-01", (3.0, 2.0, 1.5))
    # The rep is the first purchase's rep.
    check(result, "conversations_to_close", "2025-02-01", (3.0, 1.0, 3.0), "rep_id", "r2")
    check(result, "conversations_to_close", "2025-02-01", (0.0, 1.0, 0.0), "rep_id", "r1")
    check(result, "conversations_to_close", "2025-03-01", (1.0, 1.0, 1.0))
    # d (rep null) is not in the population: no 'unknown' rep for this metric.
    assert dimension_values(result, "conversations_to_close", "rep_id") == {"r1", "r2"}


# --------------------------------------------------------------------------------------------------
# Unit tests: metrics 5 and 6 (lead to customer)
# --------------------------------------------------------------------------------------------------

LEAD_ROWS = [
    lead("l1", "2025-01-01T00:00:00", "c1", "webinar"),
    purchase("p1", "2025-01-31T12:00:00", "c1"),  # 30.5 days
    lead("l2", "2025-01-15T00:00:00", "c2", None, rep_id="r2"),
    purchase("p2", "2025-03-01T00:00:00", "c2"),  # 45 days (2025 is not a leap year)
    purchase("p2b", "2025-02-01T00:00:00", "c2x"),  # another contact: irrelevant
    lead("l3", "2025-02-01T00:00:00", "c3", "website"),
    purchase("p3", "2025-02-01T00:00:00", "c3"),  # at the lead time: 0 days, converted
    purchase("p4", "2025-01-05T00:00:00", "c4"),  # c4 bought before its lead time: not a lead
    lead("l4", "2025-01-06T00:00:00", "c4", "website"),
    lead("l5b", "2025-01-20T00:00:00", "c5", "event"),  # c5: first lead_created decides time/source/rep
    lead("l5a", "2025-01-10T00:00:00", "c5", "website", rep_id="r3"),
    lead("l6", "2025-01-12T00:00:00", "c6", "webinar"),  # never buys
]


def test_days_to_customer():
    result = metrics(LEAD_ROWS)
    check(result, "days_to_customer", "2025-01-01", (30.5, 1.0, 30.5))
    check(result, "days_to_customer", "2025-02-01", (0.0, 1.0, 0.0))
    check(result, "days_to_customer", "2025-03-01", (45.0, 1.0, 45.0))
    check(result, "days_to_customer", "2025-03-01", (45.0, 1.0, 45.0), "lead_source", "unknown")
    check(result, "days_to_customer", "2025-03-01", (45.0, 1.0, 45.0), "rep_id", "r2")
    check(result, "days_to_customer", "2025-03-01", (0.0, 0.0, NAN), "lead_source", "webinar")
    assert dimension_values(result, "days_to_customer", "lead_source") == {"webinar", "unknown", "website"}
    assert dimension_values(result, "days_to_customer", "rep_id") == {"r1", "r2"}


def test_prospect_conversion_rate():
    result = metrics(LEAD_ROWS)
    # January leads: c1 (bought), c2 (bought in March), c5, c6 -> 2 of 4.  c4 is not a lead.
    check(result, "prospect_conversion_rate", "2025-01-01", (2.0, 4.0, 0.5))
    check(result, "prospect_conversion_rate", "2025-02-01", (1.0, 1.0, 1.0))
    check(result, "prospect_conversion_rate", "2025-03-01", (0.0, 0.0, NAN))
    check(result, "prospect_conversion_rate", "2025-01-01", (0.0, 1.0, 0.0), "rep_id", "r3")  # c5's first
    check(result, "prospect_conversion_rate", "2025-01-01", (0.0, 1.0, 0.0), "lead_source", "website")
    check(result, "prospect_conversion_rate", "2025-01-01", (1.0, 2.0, 0.5), "lead_source", "webinar")
    assert dimension_values(result, "prospect_conversion_rate", "lead_source") == {
        "webinar",
        "unknown",
        "website",
    }
    # As of Feb 15th, c2's purchase has not happened yet.
    result = metrics(LEAD_ROWS, as_of="2025-02-15")
    check(result, "prospect_conversion_rate", "2025-01-01", (1.0, 4.0, 0.25))
    assert months_of(result, "prospect_conversion_rate") == ["2025-01", "2025-02"]


# --------------------------------------------------------------------------------------------------
# Unit tests: metric 7 offer_loss_rate
# --------------------------------------------------------------------------------------------------

OFFER_ROWS = [
    event("s1", "offer_sent", "2025-01-01T00:00:00", "a", offer_id="o1", amount=10.0),
    purchase("b1", "2025-01-15T00:00:00", "a", offer_id="o1"),  # o1 won
    event("s2", "offer_sent", "2025-01-05T00:00:00", "b", offer_id="o2", amount=10.0),
    event("x2", "offer_lost", "2025-01-20T00:00:00", "b", offer_id="o2"),  # o2 lost
    event("s3", "offer_sent", "2025-01-10T00:00:00", "c", offer_id="o3", amount=10.0, rep_id="r2"),
    event("s3b", "offer_sent", "2025-02-01T00:00:00", "c", offer_id="o3", amount=12.0, rep_id="r9"),
    event("s4", "offer_sent", "2025-01-11T00:00:00", "d", offer_id="o4", amount=10.0, rep_id="r4"),
    event("s5", "offer_sent", "2025-01-02T00:00:00", "e", offer_id="o5", amount=10.0),
    event("x5", "offer_lost", "2025-01-03T00:00:00", "e", offer_id="o5"),
    purchase("b5", "2025-01-04T00:00:00", "other", offer_id="o5"),  # a purchase wins over offer_lost
    event("x9", "offer_lost", "2025-01-03T00:00:00", "e", offer_id="o9"),  # never sent: not an offer
]


def test_offer_loss_rate_day_90_expiry():
    # o3 was sent Jan 10 00:00: 90 days later is Apr 10 00:00 -> lost (expired) exactly at as_of.
    result = metrics(OFFER_ROWS, as_of="2025-04-10")
    check(result, "offer_loss_rate", "2025-01-01", (2.0, 4.0, 0.5))  # lost o2, o3; won o1, o5; o4 open
    check(result, "offer_loss_rate", "2025-01-01", (1.0, 1.0, 1.0), "rep_id", "r2")  # first offer_sent's rep
    check(result, "offer_loss_rate", "2025-02-01", (0.0, 0.0, NAN), "rep_id", "r2")
    assert dimension_values(result, "offer_loss_rate", "rep_id") == {"r1", "r2"}  # o4 (r4) is open
    # One second earlier (day 89.99), o3 is still open.
    result = metrics(OFFER_ROWS, as_of="2025-04-09T23:59:59")
    check(result, "offer_loss_rate", "2025-01-01", (1.0, 3.0, 1 / 3))
    # Day 91 for o4: expired too.
    result = metrics(OFFER_ROWS, as_of="2025-04-11")
    check(result, "offer_loss_rate", "2025-01-01", (3.0, 5.0, 0.6))
    assert months_of(result, "offer_loss_rate") == ["2025-01", "2025-02", "2025-03", "2025-04"]


def test_offer_won_after_as_of_is_not_won_yet():
    rows = [*OFFER_ROWS, purchase("b4", "2025-05-01T00:00:00", "d", offer_id="o4")]
    # As of Apr 11 the purchase of o4 has not happened: o4 expired (lost).
    check(metrics(rows, as_of="2025-04-11"), "offer_loss_rate", "2025-01-01", (3.0, 5.0, 0.6))
    # Later it is won, even though it was bought after 90 days.
    check(metrics(rows), "offer_loss_rate", "2025-01-01", (2.0, 5.0, 0.4))


# --------------------------------------------------------------------------------------------------
# Unit tests: metric 8 never_engaged_rate
# --------------------------------------------------------------------------------------------------

NEVER_ROWS = [
    lead("n1", "2025-01-01T00:00:00", "c1"),  # nothing at all: never engaged
    lead("n2", "2025-01-01T00:00:00", "c2"),
    call("k2", "2025-01-31T00:00:00", "c2"),  # exactly lead time + 30 days: engaged
    lead("n3", "2025-01-01T00:00:00", "c3"),
    call("k3", "2025-01-31T00:00:01", "c3"),  # one second too late: never engaged
    lead("n4", "2025-01-01T00:00:00", "c4"),
    meeting("m4", "2025-01-05T00:00:00", "c4", purpose="support"),  # support is not engagement
    lead("n5", "2025-01-01T00:00:00", "c5"),
    event("q5", "lead_qualified", "2025-01-10T00:00:00", "c5"),  # engaged
    lead("n6", "2025-01-01T00:00:00", "c6", rep_id="r2"),
    purchase("p6", "2025-01-01T00:00:00", "c6"),  # at the lead time: engaged
    lead("n7", "2025-01-01T00:00:00", "c7"),
    email("x7", "2025-01-02T00:00:00", "c7"),  # outbound email and a voicemail are not conversations
    call("k7", "2025-01-02T00:00:00", "c7", "voicemail"),
    lead("n9", "2025-01-01T12:00:00", "c9", "website"),
    call("k9", "2025-01-01T11:00:00", "c9"),  # before the lead time: does not count
    lead("n8", "2025-01-10T00:00:00", "c8", rep_id="r3"),  # mature from Feb 9th
]


def test_never_engaged_rate_window_and_maturity():
    result = metrics(NEVER_ROWS, as_of="2025-02-08")
    check(result, "never_engaged_rate", "2025-01-01", (5.0, 8.0, 0.625))  # c1, c3, c4, c7, c9 of 8
    check(result, "never_engaged_rate", "2025-01-01", (1.0, 1.0, 1.0), "lead_source", "website")
    check(result, "never_engaged_rate", "2025-01-01", (0.0, 1.0, 0.0), "rep_id", "r2")
    check(result, "never_engaged_rate", "2025-02-01", (0.0, 0.0, NAN))
    # c8 (rep r3) is not mature: r3 is not in this metric's population yet.
    assert dimension_values(result, "never_engaged_rate", "rep_id") == {"r1", "r2"}
    assert "r3" in dimension_values(result, "prospect_conversion_rate", "rep_id")

    result = metrics(NEVER_ROWS, as_of="2025-02-09")  # c8: lead time + 30 days == as_of
    check(result, "never_engaged_rate", "2025-01-01", (6.0, 9.0, 6 / 9))
    check(result, "never_engaged_rate", "2025-01-01", (1.0, 1.0, 1.0), "rep_id", "r3")


def test_never_engaged_ignores_events_after_as_of():
    rows = [lead("n1", "2025-01-01T00:00:00", "c1"), call("k1", "2025-01-20T00:00:00", "c1")]
    check(metrics(rows, as_of="2025-01-31"), "never_engaged_rate", "2025-01-01", (0.0, 1.0, 0.0))
    check(metrics(rows, as_of="2025-01-19T00:00:00"), "never_engaged_rate", "2025-01-01", (0.0, 0.0, NAN))


# --------------------------------------------------------------------------------------------------
# Unit tests: metrics 9 and 10 (customers)
# --------------------------------------------------------------------------------------------------

REPEAT_ROWS = [
    purchase("p1", "2025-01-01T00:00:00", "c1"),
    purchase("p1b", "2025-04-01T00:00:00", "c1"),  # day 90 exactly (31 + 28 + 31): repeat
    purchase("p2", "2025-01-01T00:00:00", "c2", rep_id="r2"),
    purchase("p2b", "2025-04-01T00:00:01", "c2"),  # one second after day 90: not a repeat
    purchase("p3a", "2025-01-01T00:00:00", "c3"),
    purchase("p3b", "2025-01-01T00:00:00", "c3"),  # same instant, other event_id: repeat
    purchase("p4", "2025-01-15T00:00:00", "c4", rep_id="r4"),  # mature from Apr 15th
]


def test_repeat_purchase_90d_rate():
    result = metrics(REPEAT_ROWS, as_of="2025-04-14")
    check(result, "repeat_purchase_90d_rate", "2025-01-01", (2.0, 3.0, 2 / 3))
    check(result, "repeat_purchase_90d_rate", "2025-01-01", (0.0, 1.0, 0.0), "rep_id", "r2")
    assert dimension_values(result, "repeat_purchase_90d_rate", "rep_id") == {"r1", "r2"}
    result = metrics(REPEAT_ROWS, as_of="2025-04-15")  # c4 + 90 days == as_of: mature
    check(result, "repeat_purchase_90d_rate", "2025-01-01", (2.0, 4.0, 0.5))
    check(result, "repeat_purchase_90d_rate", "2025-04-01", (0.0, 0.0, NAN))


def test_referral_6m_rate_calendar_months():
    ref = "referral"
    rows = [
        # Aug 31 + 6 calendar months = Feb 28 (clamped), same time of day.
        purchase("p1", "2024-08-31T12:00:00", "c1"),
        event("f1", ref, "2025-02-28T12:00:00", "c1", is_valid=True, referred_contact_id="z1"),  # in
        purchase("p2", "2024-08-31T12:00:00", "c2", rep_id="r2"),
        event("f2", ref, "2025-02-28T12:00:01", "c2", is_valid=True, referred_contact_id="z2"),  # out
        purchase("p3", "2024-08-31T12:00:00", "c3"),
        event("f3", ref, "2024-09-30T00:00:00", "c3", is_valid=False, referred_contact_id="z3"),  # invalid
        event("f3b", ref, "2024-08-31T11:59:59", "c3", is_valid=True, referred_contact_id="z3"),  # before
        # A referral made by someone else (who referred c3) is not c3's.
        event("f3c", ref, "2024-09-30T00:00:00", "z3", is_valid=True, referred_contact_id="c3"),
        purchase("p5", "2024-08-10T00:00:00", "c5"),
        event("f5", ref, "2024-08-10T00:00:00", "c5", is_valid=True, referred_contact_id="z5"),  # at fp: in
        purchase("p4", "2024-09-15T00:00:00", "c4", rep_id="r4"),  # mature from Mar 15th
    ]
    result = metrics(rows, as_of="2025-03-14T23:59:59")
    check(result, "referral_6m_rate", "2024-08-01", (2.0, 4.0, 0.5))  # c1, c5 of c1, c2, c3, c5
    check(result, "referral_6m_rate", "2024-09-01", (0.0, 0.0, NAN))
    assert dimension_values(result, "referral_6m_rate", "rep_id") == {"r1", "r2"}
    result = metrics(rows, as_of="2025-03-15")
    check(result, "referral_6m_rate", "2024-09-01", (0.0, 1.0, 0.0))
    check(result, "referral_6m_rate", "2024-09-01", (0.0, 1.0, 0.0), "rep_id", "r4")
    # Before c1's 6 months are over, c1 is not in the denominator.
    result = metrics(rows, as_of="2025-02-28T11:59:59")
    check(result, "referral_6m_rate", "2024-08-01", (1.0, 1.0, 1.0))  # only c5 (Feb 10th)


def test_customer_without_lead_is_a_customer():
    rows = [purchase("p1", "2025-01-01T00:00:00", "c1"), purchase("p2", "2025-02-01T00:00:00", "c1")]
    result = metrics(rows, as_of="2025-07-01")
    check(result, "repeat_purchase_90d_rate", "2025-01-01", (1.0, 1.0, 1.0))
    check(result, "referral_6m_rate", "2025-01-01", (0.0, 1.0, 0.0))
    check(result, "prospect_conversion_rate", "2025-01-01", (0.0, 0.0, NAN))


# --------------------------------------------------------------------------------------------------
# Unit tests: the shape of the long table
# --------------------------------------------------------------------------------------------------


def test_long_table_shape_without_gaps():
    rows = [
        {**one, "event_id": f"{tag}-{one['event_id']}", "contact_id": f"{tag}-{one['contact_id']}"}
        for tag, group in {"l": LEAD_ROWS, "o": OFFER_ROWS, "n": NEVER_ROWS, "r": REPEAT_ROWS}.items()
        for one in group
    ]
    rows.append(event("q-c1", "lead_qualified", "2025-01-02T00:00:00", "l-c1"))  # metric 4 has one contact
    result = metrics(rows, as_of="2025-07-31")  # every metric has a population by then
    assert list(result.columns) == OUTPUT_COLUMNS
    keys = ["metric", "period_start", "dimension", "dimension_value"]
    assert not result[keys].astype(str).duplicated().any()
    months = 7  # January to July
    for metric, (is_count, by_source) in METRICS.items():
        chosen = result[result["metric"] == metric]
        dims = {"all", "rep_id"} | ({"lead_source"} if by_source else set())
        assert set(chosen["dimension"]) == dims, metric
        per_dimension = chosen.groupby("dimension")["dimension_value"].nunique(dropna=False)
        for dimension, count in per_dimension.items():
            assert (chosen["dimension"] == dimension).sum() == months * count, (metric, dimension)
        assert chosen.loc[chosen["dimension"] == "all", "dimension_value"].isna().all()
        if is_count:
            assert chosen["denominator"].isna().all() and (chosen["value"] == chosen["numerator"]).all()
        else:
            empty = chosen["denominator"] == 0
            assert chosen.loc[empty, "value"].isna().all() and (chosen.loc[empty, "numerator"] == 0).all()
            full = chosen[~empty]
            assert ((full["value"] - full["numerator"] / full["denominator"]).abs() < 1e-12).all()
    # The breakdowns add up to 'all'.
    sums = result.groupby(["metric", "period_start", "dimension"])[["numerator", "denominator"]].sum()
    for dimension in ("rep_id", "lead_source"):
        part = sums.xs(dimension, level="dimension")
        whole = sums.xs("all", level="dimension").loc[part.index]
        assert ((part - whole).abs() < 1e-9).all().all(), dimension


def test_all_rows_exist_for_a_metric_without_population():
    result = metrics([call("k1", "2025-01-02T00:00:00", "c1"), call("k2", "2025-02-02T00:00:00", "c1")])
    for metric in METRICS:
        assert months_of(result, metric) == ["2025-01", "2025-02"], metric
    check(result, "offer_loss_rate", "2025-02-01", (0.0, 0.0, NAN))
    check(result, "prospecting_emails", "2025-02-01", (0.0, NAN, 0.0))
    assert dimension_values(result, "offer_loss_rate", "rep_id") == set()


# --------------------------------------------------------------------------------------------------
# Integration: the real pipeline on dirty demo data vs the reference
# --------------------------------------------------------------------------------------------------

KEY = ["metric", "period_start", "dimension", "dimension_value"]
VALUES = ["numerator", "denominator", "value"]
FORMATS = {"jsonl": 11, "csv": 12, "parquet": 13}  # format -> seed
CONTACTS = 300
DATA_START, DATA_MONTHS = "2025-01-01", 12  # the demo data spans 2025
AS_OF_MIDDLE = "2025-07-02T13:37:11"  # mid-data, at an odd time of day so that windows end between events


@pytest.fixture(scope="module")
def dirty_landing(tmp_path_factory) -> Path:
    """~300 contacts in each of JSONL, CSV and Parquet (one seed each), with the generator's dirt.

    The generator numbers events and contacts from 1 whatever the seed, so the three files also
    deliver conflicting versions of the same event_ids and contacts: harder on deduplication than
    real life, and every rule must still agree.
    """
    from dagster_project.demo import generate

    landing = tmp_path_factory.mktemp("dirty") / "landing"
    for fmt, seed in FORMATS.items():
        generate(
            landing / fmt,
            contacts=CONTACTS,
            seed=seed,
            fmt=fmt,
            dirty=True,
            start=DATA_START,
            months=DATA_MONTHS,
        )
    assert {path.suffix for path in landing.rglob("*") if path.is_file()} == {".jsonl", ".csv", ".parquet"}
    return landing


def read_warehouse(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        raw = con.execute("select * from raw.sales_events").df()
        marts = con.execute("select * from marts.metric_values").df()
    return raw, marts


def _normalized(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[OUTPUT_COLUMNS].copy()
    out["metric"] = out["metric"].astype(str)
    out["dimension"] = out["dimension"].astype(str)
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.strftime("%Y-%m-%d")
    # A visible marker for a null dimension_value, so that keys join and print.
    out["dimension_value"] = (
        out["dimension_value"].astype(object).where(out["dimension_value"].notna(), "<null>")
    )
    for column in VALUES:
        out[column] = pd.to_numeric(out[column]).astype(float)
    return out


def _differs(ref: float, dbt: float) -> bool:
    if math.isnan(ref) or math.isnan(dbt):
        return math.isnan(ref) != math.isnan(dbt)
    return not math.isclose(ref, dbt, rel_tol=1e-9, abs_tol=1e-12)


def compare_metric_values(reference: pd.DataFrame, marts: pd.DataFrame) -> list[str]:
    """Every difference between the two long tables, grouped by metric, as readable lines."""
    ref, dbt = _normalized(reference), _normalized(marts)
    problems: list[str] = []
    duplicated = dbt[dbt.duplicated(KEY, keep=False)]
    if not duplicated.empty:
        problems.append(f"marts.metric_values has {len(duplicated)} rows on duplicated keys:\n"
                        f"{duplicated.head(10).to_string()}")  # fmt: skip
        dbt = dbt.drop_duplicates(KEY)
    both = ref.merge(dbt, on=KEY, how="outer", suffixes=("_ref", "_dbt"), indicator=True)
    for side, label in (
        ("left_only", "missing from marts.metric_values"),
        ("right_only", "not in the reference"),
    ):
        rows = both[both["_merge"] == side]
        for (metric, dimension), group in rows.groupby(["metric", "dimension"]):
            problems.append(
                f"{metric} / {dimension}: {len(group)} keys {label}, e.g.\n"
                + group[KEY + [f"{c}_{'ref' if side == 'left_only' else 'dbt'}" for c in VALUES]]
                .head(5)
                .to_string()
            )
    matched = both[both["_merge"] == "both"]
    for column in VALUES:
        bad = matched[
            [_differs(a, b) for a, b in zip(matched[f"{column}_ref"], matched[f"{column}_dbt"], strict=True)]
        ]
        for metric, group in bad.groupby("metric"):
            shown = group[KEY + [f"{c}_{s}" for c in VALUES for s in ("ref", "dbt")]].head(8)
            problems.append(f"{metric}: {column} differs on {len(group)} of "
                            f"{(matched['metric'] == metric).sum()} rows, e.g.\n{shown.to_string()}")  # fmt: skip
    return problems


def assert_matches_reference(warehouse: Path, as_of: str | None) -> pd.DataFrame:
    raw, marts = read_warehouse(warehouse)
    reference = compute_metric_values(raw, as_of=as_of)
    assert not reference.empty
    problems = compare_metric_values(reference, marts)
    assert not problems, f"marts.metric_values vs reference (as_of={as_of}):\n\n" + "\n\n".join(problems)
    return raw


@pytest.mark.parametrize(
    "as_of", [None, AS_OF_MIDDLE, AS_OF_MIDDLE[:10]], ids=["latest", "mid-timestamp", "mid-date"]
)
def test_metric_values_match_reference_on_dirty_data(tmp_path, dirty_landing, run_pipeline, as_of):
    warehouse = tmp_path / "warehouse.duckdb"
    assert run_pipeline(dirty_landing, warehouse, as_of=as_of).success
    raw = assert_matches_reference(warehouse, as_of=as_of)

    # The data is what this test claims: dirty, in three formats, and as_of in its middle.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.rejected_events").fetchone()[0] > 0
    assert raw["event_id"].duplicated().any()
    assert raw["updated_at"].notna().any()
    assert {Path(name).suffix for name in raw["source_file"]} == {".jsonl", ".csv", ".parquet"}
    if as_of is not None:
        assert raw["occurred_at"].min() < pd.Timestamp(as_of) < raw["occurred_at"].max()


def test_comparison_reports_every_kind_of_difference():
    reference = metrics([*LEAD_ROWS, *REPEAT_ROWS[:1]], as_of="2025-04-30")
    assert compare_metric_values(reference, reference.copy()) == []
    marts = reference.copy()
    marts.loc[0, "numerator"] += 1e-6  # a value off by more than 1e-9 relative
    marts.loc[1, "denominator"] = 0.0  # null vs 0
    marts = marts.drop(index=2)  # a missing key
    marts = pd.concat([marts, marts.iloc[[5]]])  # a duplicated key
    problems = "\n".join(compare_metric_values(reference, marts))
    assert "numerator differs" in problems and "denominator differs" in problems
    assert "missing from marts.metric_values" in problems and "duplicated keys" in problems
    nearly = reference.copy()
    nearly["numerator"] = nearly["numerator"] * (1 + 1e-12)  # within tolerance
    assert compare_metric_values(reference, nearly) == []
