"""The demo data generator: deterministic, realistic canonical events, and dirt of every rejection kind.

The checks read the written files back with pandas and re-apply the contract's rules independently of
the pipeline's loader.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_project import demo
from dagster_project.lib.vocabulary import (
    CALL_OUTCOMES,
    DIRECTIONS,
    MEETING_OUTCOMES,
    PURPOSES,
    REQUIRED_BY_TYPE,
)

CONTACTS = 2000
SEED = 11
DOMAINS = {"direction": set(DIRECTIONS), "purpose": set(PURPOSES)}
OUTCOMES = {"call": set(CALL_OUTCOMES), "meeting": set(MEETING_OUTCOMES)}
REQUIRED = REQUIRED_BY_TYPE
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$"


# --- reading files back -------------------------------------------------------------------------------


def read_rows(summary: dict) -> pd.DataFrame:
    """All rows of a generated data set, in file order, values as in the file (None for absent)."""
    frames = []
    for path in summary["files"]:
        if path.endswith(".jsonl"):
            with open(path, encoding="utf-8") as f:
                frame = pd.DataFrame([json.loads(line) for line in f])
        elif path.endswith(".csv"):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            frame = pd.read_parquet(path)
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True).astype(object)
    return rows.where(rows.notna(), None)


def utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")


def defects(rows: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per rejection kind of docs/contract.md ("Bad input") (True = the row breaks it)."""

    def bad_timestamp(col: pd.Series) -> pd.Series:
        text = col.astype("string")
        return col.notna() & (~text.str.match(ISO).fillna(False) | utc(col).isna())

    amount_num = pd.to_numeric(rows["amount"], errors="coerce")
    etype = rows["event_type"]
    outcome_ok = pd.Series(
        [o is None or o in OUTCOMES.get(t, {o}) for t, o in zip(etype, rows["outcome"], strict=True)],
        index=rows.index,
    )
    missing_required = pd.Series(False, index=rows.index)
    for event_type, fields in REQUIRED.items():
        for field in fields:
            missing_required |= (etype == event_type) & rows[field].isna()
    return pd.DataFrame(
        {
            "missing_event_id": rows["event_id"].isna(),
            "missing_contact_id": rows["contact_id"].isna(),
            "missing_occurred_at": rows["occurred_at"].isna(),
            "missing_event_type": etype.isna(),
            "bad_occurred_at": bad_timestamp(rows["occurred_at"]),
            "bad_updated_at": bad_timestamp(rows["updated_at"]),
            "unknown_event_type": etype.notna() & ~etype.isin(demo.EVENT_TYPES),
            "bad_direction": rows["direction"].notna() & ~rows["direction"].isin(DOMAINS["direction"]),
            "bad_purpose": rows["purpose"].notna() & ~rows["purpose"].isin(DOMAINS["purpose"]),
            "bad_outcome": ~outcome_ok,
            "bad_is_valid": rows["is_valid"].notna()
            & ~rows["is_valid"].map(lambda v: v in (True, False, "true", "false")),
            "missing_required": missing_required,
            "negative_amount": amount_num < 0,
            "non_numeric_amount": rows["amount"].notna() & amount_num.isna(),
        }
    )


def canonical(rows: pd.DataFrame) -> list[tuple]:
    """Rows as comparable tuples: amounts as numbers, is_valid as booleans, the rest as text."""
    out = rows[demo.COLUMNS].copy()
    out["amount"] = pd.to_numeric(out["amount"]).astype(object)
    out["is_valid"] = out["is_valid"].map({True: True, False: False, "true": True, "false": False})
    out = out.astype(object)
    out = out.where(out.notna(), None)
    return list(out.itertuples(index=False, name=None))


# --- fixtures: one clean and one dirty data set, shared by the tests that only read them --------------


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    summary = demo.generate(tmp_path_factory.mktemp("clean"), CONTACTS, SEED, "jsonl")
    return summary, read_rows(summary)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[dict, pd.DataFrame]:
    summary = demo.generate(tmp_path_factory.mktemp("dirty"), CONTACTS, SEED, "jsonl", dirty=True)
    return summary, read_rows(summary)


@pytest.fixture(scope="module")
def events(clean) -> pd.DataFrame:
    """The clean events, one per event_id (the latest updated_at wins), with UTC times."""
    _, rows = clean
    rows = rows.assign(at=utc(rows["occurred_at"]), version=utc(rows["updated_at"]))
    rows = rows.sort_values("version", na_position="first", kind="stable")
    return rows.drop_duplicates("event_id", keep="last").sort_values(["at", "event_id"])


# --- determinism and the CLI --------------------------------------------------------------------------


def file_bytes(summary: dict) -> list[bytes]:
    return [Path(p).read_bytes() for p in summary["files"]]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, fmt):
    first = demo.generate(tmp_path / "a", 200, 5, fmt, dirty=True, files=2)
    again = demo.generate(tmp_path / "b", 200, 5, fmt, dirty=True, files=2)
    other = demo.generate(tmp_path / "c", 200, 6, fmt, dirty=True, files=2)
    assert len(first["files"]) == 2
    assert file_bytes(first) == file_bytes(again)
    assert file_bytes(first) != file_bytes(other)


def test_small_run_is_fast(tmp_path):
    started = time.perf_counter()
    summary = demo.generate(tmp_path, 200, 1, "parquet", dirty=True)
    assert time.perf_counter() - started < 3
    assert summary["rows"] > 1000


def test_cli(tmp_path):
    out = tmp_path / "landing"
    args = ["--out", str(out), "--contacts", "200", "--seed", "3", "--format", "csv", "--dirty"]
    args += ["--files", "3", "--start", "2024-03-15", "--months", "2"]
    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.demo", *args], capture_output=True, text=True, check=True
    )
    assert "malformed" in result.stdout
    files = sorted(out.glob("*.csv"))
    assert [f.name for f in files] == [f"sales_events_000{i}.csv" for i in (1, 2, 3)]
    summary = demo.main(args[:1] + [str(tmp_path / "again")] + args[2:])
    rows = read_rows(summary)
    assert len(rows) == summary["rows"]
    at = utc(rows["occurred_at"]).dropna()
    assert at.min() >= pd.Timestamp("2024-03-15", tz="UTC")
    assert at.max() < pd.Timestamp("2024-05-15", tz="UTC")
    assert summary["end"] == "2024-05-15"


def test_rejects_unknown_format(tmp_path):
    with pytest.raises(ValueError, match="format"):
        demo.generate(tmp_path, 10, 1, "xml")


# --- clean data: canonical, and every case the metrics must handle --------------------------------------


def test_clean_rows_are_canonical(clean):
    summary, rows = clean
    assert list(rows.columns) == demo.COLUMNS
    assert len(rows) == summary["rows"] == summary["valid_rows"]
    assert not defects(rows).any().any()
    assert rows["event_id"].str.match(r"^ev-\d{9}$").all()
    assert rows["contact_id"].str.match(r"^c-\d{6}$").all()
    assert rows["offer_id"].dropna().str.match(r"^of-\d{7}$").all()
    assert rows["event_id"].nunique() == summary["events"]
    assert len(rows) - summary["events"] == summary["corrections"] > 0
    at = utc(rows["occurred_at"])
    assert at.min() >= pd.Timestamp("2025-01-01", tz="UTC")
    assert at.max() < pd.Timestamp("2026-01-01", tz="UTC")


def test_every_value_of_every_domain_appears(events):
    calls, emails = events[events.event_type == "call"], events[events.event_type == "email"]
    assert set(events["event_type"]) == set(demo.EVENT_TYPES)
    assert set(calls["outcome"]) == set(demo.CALL_OUTCOMES)
    assert set(events.loc[events.event_type == "meeting", "outcome"]) == set(demo.MEETING_OUTCOMES)
    for activity in (calls, emails):
        assert set(activity["direction"]) == {"outbound", "inbound"}
        assert set(activity["purpose"]) == {"sales", "support", None}  # None means sales
    leads = events[events.event_type == "lead_created"]
    assert set(leads["lead_source"]) == set(demo.LEAD_SOURCES) | {None}
    assert set(events.loc[events.event_type == "referral", "is_valid"]) == {True, False}
    assert events["rep_id"].nunique() == len(demo.REPS)


def test_timestamps_mix_offsets_and_naive_values(clean):
    _, rows = clean
    text = rows["occurred_at"]
    assert text.str.endswith("Z").any()
    assert text.str.endswith("+02:00").any()
    assert text.str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").any()


def first_times(events: pd.DataFrame, event_type: str) -> pd.Series:
    return events[events.event_type == event_type].groupby("contact_id")["at"].min()


def test_customers_with_and_without_a_lead(events):
    first_buy = first_times(events, "purchase")
    lead_time = first_times(events, "lead_created")
    never_lead = first_buy.index.difference(lead_time.index)
    both = first_buy.index.intersection(lead_time.index)
    assert len(never_lead) > 0  # existing customers: purchase without ever being a lead
    assert (first_buy[both] < lead_time[both]).any()  # a lead_created after the first purchase
    assert (first_buy[both] >= lead_time[both]).sum() > 50  # converted leads
    # Customer service only happens to customers, after their first purchase.
    support = events[events.purpose == "support"]
    assert len(support) > 0
    assert (support["at"].values > first_buy.reindex(support["contact_id"]).values).all()


def test_offers_won_lost_and_open(events):
    as_of = events["at"].max()
    sent = events[events.event_type == "offer_sent"].groupby("offer_id")["at"].min()
    bought = events[(events.event_type == "purchase") & events.offer_id.notna()]
    won = bought.groupby("offer_id")["at"].min()
    lost = set(events.loc[events.event_type == "offer_lost", "offer_id"])
    assert set(won.index) <= set(sent.index) and lost <= set(sent.index)
    assert len(won) > 0 and len(lost - set(won.index)) > 0
    assert (won - sent[won.index] > pd.Timedelta(days=90)).any()  # won after the 90-day expiry
    undecided = sent.drop(list(set(won.index) | lost))
    assert (undecided > as_of - pd.Timedelta(days=90)).any()  # still open
    assert (undecided <= as_of - pd.Timedelta(days=90)).any()  # expired


def test_repeat_purchases_and_referrals(events):
    purchases = events[events.event_type == "purchase"]
    first_buy = purchases.groupby("contact_id")["at"].transform("min")
    later = purchases[purchases["at"] > first_buy].assign(after=lambda p: p["at"] - first_buy[p.index])
    assert (later["after"] <= pd.Timedelta(days=90)).any()
    assert (later.groupby("contact_id")["after"].min() > pd.Timedelta(days=90)).any()
    referrals = events[events.event_type == "referral"]
    assert referrals["referred_contact_id"].str.match(r"^c-\d{6}$").all()
    since = referrals["at"].values - first_times(events, "purchase").reindex(referrals["contact_id"]).values
    assert (since > pd.Timedelta(0)).all()
    assert (since <= pd.Timedelta(days=180)).any() and (since > pd.Timedelta(days=183)).any()


def test_lead_sources_engage_differently(events):
    leads = events[events.event_type == "lead_created"].drop_duplicates("contact_id")
    sales = events[events.purpose.isin(["sales", None])]
    conversation = (
        ((sales.event_type == "call") & (sales.outcome == "connected"))
        | ((sales.event_type == "meeting") & (sales.outcome == "held"))
        | ((sales.event_type == "email") & (sales.direction == "inbound"))
    )
    talked = set(sales.loc[conversation, "contact_id"])
    rate = leads.assign(talked=leads.contact_id.isin(talked)).groupby("lead_source")["talked"].mean()
    assert rate["referral"] > rate["outbound"] + 0.3
    # Prospecting attempts that never connect: voicemail and gatekeeper calls to never-engaged leads.
    assert len(set(leads.contact_id) - talked) > 100


def test_corrections_change_a_field_and_come_later(clean):
    _, rows = clean
    versions = rows[rows.duplicated("event_id", keep=False)]
    assert versions.groupby("event_id").size().eq(2).all()
    changed, out_of_order = 0, 0
    for _, pair in versions.assign(version=utc(versions["updated_at"])).groupby("event_id", sort=False):
        newer = pair.loc[pair["version"].idxmax()]  # a version without updated_at ranks lowest
        older = pair.drop(index=newer.name).iloc[0]
        assert pd.isna(older["version"]) or newer["version"] > older["version"]
        # Same instant (perhaps written in another style), one other field changed.
        assert utc(pd.Series([newer["occurred_at"], older["occurred_at"]])).nunique() == 1
        same = ("updated_at", "occurred_at")
        fields = [c for c in demo.COLUMNS if c not in same and newer[c] != older[c]]
        changed += len(fields) == 1
        out_of_order += newer.name < older.name  # the index is the delivery order
    assert changed == versions["event_id"].nunique()
    assert out_of_order > 0  # a stale version delivered after its correction


# --- dirty mode -----------------------------------------------------------------------------------------


def test_dirty_rows_of_every_rejection_kind(dirty):
    summary, rows = dirty
    found = defects(rows)
    for kind in demo.MALFORMED_KINDS:
        assert found[kind].sum() >= summary["malformed"][kind] > 0, kind
    malformed = found.any(axis=1)
    assert malformed.sum() == summary["malformed_rows"]
    assert 0.015 < malformed.mean() < 0.05  # under the pipeline's 5% threshold
    missing = rows.loc[found["missing_required"]]
    assert {"call", "email", "meeting", "offer_sent", "offer_lost", "purchase", "referral"} <= set(
        missing["event_type"]
    )


def test_dirty_adds_duplicates_and_an_unknown_column(dirty):
    summary, rows = dirty
    assert rows[demo.EXTRA_COLUMN].notna().sum() > 0
    exact = rows.drop(columns=[demo.EXTRA_COLUMN]).astype(str).duplicated()
    assert exact.sum() >= summary["duplicates"] > 0


def test_dirty_only_adds_rows(clean, dirty):
    """Without its malformed rows and exact repeats, the dirty data is the clean data."""
    _, clean_rows = clean
    summary, dirty_rows = dirty
    kept = dirty_rows[~defects(dirty_rows).any(axis=1)]
    assert len(kept) == summary["valid_rows"]
    kept = kept.drop(columns=[demo.EXTRA_COLUMN])
    kept = kept[~kept.astype(str).duplicated()]
    assert sorted(canonical(kept), key=repr) == sorted(canonical(clean_rows), key=repr)


def test_formats_hold_the_same_rows(tmp_path):
    written = {
        fmt: demo.generate(tmp_path / fmt, 150, 9, fmt, dirty=True) for fmt in ("jsonl", "csv", "parquet")
    }
    rows = {fmt: read_rows(s) for fmt, s in written.items()}
    # Malformed amounts and is_valid values are text; compare the clean columns as text.
    for fmt in ("csv", "parquet"):
        assert len(rows[fmt]) == len(rows["jsonl"])
        for column in ("event_id", "event_type", "occurred_at", "contact_id", "outcome", "updated_at"):
            assert rows[fmt][column].tolist() == rows["jsonl"][column].tolist(), (fmt, column)
        amounts = [pd.to_numeric(rows[f]["amount"], errors="coerce").to_numpy(float) for f in (fmt, "jsonl")]
        np.testing.assert_array_equal(*amounts)
