"""The raw loader (docs/contract.md ("Bad input")): every row accounted for, each file loaded once."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.ingestion.loader import load_landing_dir
from tests.conftest import write_jsonl

GOOD = {
    "event_id": "e-1",
    "event_type": "call",
    "occurred_at": "2025-03-01T10:00:00Z",
    "contact_id": "c-1",
    "rep_id": "r-1",
    "direction": "outbound",
    "outcome": "voicemail",
}


def fetch(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def count(warehouse: Path, table: str) -> int:
    return fetch(warehouse, f"select count(*) from raw.{table}")[0][0]


def load_one_row(tmp_path: Path, row: dict | str) -> list[tuple]:
    """Load a file holding one row; return the rejection reasons (empty when accepted)."""
    write_jsonl(tmp_path / "landing" / "one.jsonl", [row])
    warehouse = tmp_path / "w.duckdb"
    [result] = load_landing_dir(tmp_path / "landing", warehouse)
    assert result.status == "loaded"
    assert result.rows_read == 1 == result.rows_accepted + result.rows_rejected
    return [r[0] for r in fetch(warehouse, "select reason from raw.rejected_events")]


# One case per rejection rule of the contract: (row, words the reason must contain).
REJECTIONS = {
    "missing event_id": ({**GOOD, "event_id": None}, "missing event_id"),
    "blank event_id": ({**GOOD, "event_id": "  "}, "missing event_id"),
    "missing contact_id": ({k: v for k, v in GOOD.items() if k != "contact_id"}, "missing contact_id"),
    "missing occurred_at": ({**GOOD, "occurred_at": None}, "missing occurred_at"),
    "bad occurred_at": ({**GOOD, "occurred_at": "31/02/2025"}, "occurred_at is not an ISO-8601 timestamp"),
    "bad updated_at": ({**GOOD, "updated_at": "soon"}, "updated_at is not an ISO-8601 timestamp"),
    "unknown event_type": ({**GOOD, "event_type": "tweet"}, "unknown event_type: tweet"),
    "missing event_type": ({**GOOD, "event_type": None}, "missing event_type"),
    "bad direction": ({**GOOD, "direction": "sideways"}, "direction is not outbound or inbound: sideways"),
    "bad purpose": ({**GOOD, "purpose": "fun"}, "purpose is not sales or support: fun"),
    "call outcome": ({**GOOD, "outcome": "held"}, "not a call outcome: held"),
    "meeting outcome": ({**GOOD, "event_type": "meeting", "outcome": "voicemail"}, "not a meeting outcome"),
    "bad is_valid": (
        {**GOOD, "event_type": "referral", "is_valid": "maybe"},
        "is_valid is not true or false",
    ),
    "call without outcome": ({**GOOD, "outcome": None}, "call requires outcome"),
    "email without direction": (
        {**GOOD, "event_type": "email", "direction": None},
        "email requires direction",
    ),
    "offer without amount": (
        {**GOOD, "event_type": "offer_sent", "offer_id": "o-1"},
        "offer_sent requires amount",
    ),
    "offer_lost without offer": ({**GOOD, "event_type": "offer_lost"}, "offer_lost requires offer_id"),
    "referral without is_valid": ({**GOOD, "event_type": "referral"}, "referral requires is_valid"),
    "negative amount": ({**GOOD, "event_type": "purchase", "amount": -5}, "amount is negative"),
    "text amount": ({**GOOD, "event_type": "purchase", "amount": "ten"}, "amount is not a number: ten"),
    "NaN amount": ({**GOOD, "event_type": "purchase", "amount": "NaN"}, "amount is not a number"),
    "not JSON": ("{event_id: e-1", "line is not valid JSON"),
    "not an object": ('["e-1", "call"]', "line is not a JSON object"),
}


@pytest.mark.parametrize("case", REJECTIONS, ids=list(REJECTIONS))
def test_each_rejection_rule_has_a_clear_reason(tmp_path, case):
    row, words = REJECTIONS[case]
    reasons = load_one_row(tmp_path, row)
    assert len(reasons) == 1 and words in reasons[0], reasons


def test_good_row_is_typed_and_normalised_to_utc(tmp_path):
    row = {**GOOD, "occurred_at": "2025-03-01T12:00:00+02:00", "crm_note": "kept in raw_record"}
    assert load_one_row(tmp_path, row) == []
    [(occurred_at, raw_record)] = fetch(
        tmp_path / "w.duckdb", "select occurred_at, raw_record from raw.sales_events"
    )
    assert occurred_at == pd.Timestamp("2025-03-01 10:00:00")
    assert "crm_note" in raw_record


def test_optional_values_accepted_in_every_form(tmp_path):
    rows = [
        {**GOOD, "event_id": "naive", "occurred_at": "2025-03-01 10:00:00"},
        {**GOOD, "event_id": "date", "occurred_at": "2025-03-01"},
        {**GOOD, "event_id": "ref", "event_type": "referral", "is_valid": True, "outcome": None},
        {**GOOD, "event_id": "buy", "event_type": "purchase", "amount": 0, "outcome": None},
    ]
    write_jsonl(tmp_path / "landing" / "ok.jsonl", rows)
    [result] = load_landing_dir(tmp_path / "landing", tmp_path / "w.duckdb")
    assert (result.rows_accepted, result.rows_rejected) == (4, 0)


def build_messy_landing(root: Path) -> dict[str, int]:
    """All three formats, nested and oddly named folders, duplicates, malformed rows, a corrupt and
    an empty file. Returns the number of data records written per file (what rows_read must be)."""
    good = [{**GOOD, "event_id": f"e-{i}", "contact_id": f"c-{i % 7}"} for i in range(20)]
    bad = [{**GOOD, "event_id": "x-1", "direction": "up"}, "not json at all", {**GOOD, "occurred_at": None}]
    records = {}

    jsonl = root / "2025" / "jänner 'q1'" / 'crm "export".jsonl'
    write_jsonl(jsonl, good[:10] + bad + good[:3])  # three duplicate deliveries
    records[jsonl.relative_to(root).as_posix()] = 16

    csv = root / "csv dir" / "events, ünïcode.csv"
    csv.parent.mkdir(parents=True)
    frame = pd.DataFrame(good[8:15] + [{**GOOD, "event_id": "x-2", "event_type": "purchase", "amount": "-1"}])
    frame["note"] = 'has "quotes", and commas'
    frame.to_csv(csv, index=False)
    with csv.open("a") as f:
        f.write("broken,line\n")
    records[csv.relative_to(root).as_posix()] = 9

    parquet = root / "deep" / "er" / "events.parquet"
    parquet.parent.mkdir(parents=True)
    pd.DataFrame(good[14:] + [{**GOOD, "event_id": "x-3", "event_type": "nope"}]).to_parquet(parquet)
    records[parquet.relative_to(root).as_posix()] = 7

    (root / "corrupt.parquet").write_bytes(b"PAR1 this is not parquet at all PAR1")
    (root / "empty.jsonl").write_text("")
    (root / "ignored.txt").write_text("not a landing format")
    records["empty.jsonl"] = 0
    return records


def test_messy_landing_folder_every_row_accounted_for(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    records = build_messy_landing(landing)
    results = {r.source_file: r for r in load_landing_dir(landing, warehouse, run_id="run-1")}

    assert set(results) == set(records) | {"corrupt.parquet"}
    assert results["corrupt.parquet"].status == "failed" and results["corrupt.parquet"].error
    for name, expected in records.items():
        assert results[name].status == "loaded"
        assert results[name].rows_read == expected, name

    ledger = fetch(
        warehouse,
        "select source_file, status, rows_read, rows_accepted, rows_rejected, error, run_id from raw.loaded_files",
    )
    assert len(ledger) == 5
    for source_file, status, read, accepted, rejected, _error, run_id in ledger:
        assert read == accepted + rejected and run_id == "run-1"
        if status == "loaded":
            [(in_events, in_rejects)] = fetch(
                warehouse,
                "select (select count(*) from raw.sales_events where source_file = $1),"
                "       (select count(*) from raw.rejected_events where source_file = $1)",
                [source_file],
            )
            assert (in_events, in_rejects) == (accepted, rejected), source_file
    total_read = sum(records.values())
    assert count(warehouse, "sales_events") + count(warehouse, "rejected_events") == total_read
    assert count(warehouse, "rejected_events") == 3 + 2 + 1  # jsonl bad rows, csv bad + broken line, parquet
    reasons = [r[0] for r in fetch(warehouse, "select reason from raw.rejected_events order by reason")]
    assert any("malformed line" in r for r in reasons)
    # Positions point at the right record: line 12 of the JSONL is "not json at all".
    assert fetch(
        warehouse, "select row_number from raw.rejected_events where raw_record = 'not json at all'"
    ) == [(12,)]


def test_second_run_loads_nothing_and_changed_file_loads_again(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    build_messy_landing(landing)
    load_landing_dir(landing, warehouse)
    before = (
        count(warehouse, "sales_events"),
        count(warehouse, "rejected_events"),
        count(warehouse, "loaded_files"),
    )

    second = load_landing_dir(landing, warehouse)
    assert {r.status for r in second} == {"skipped"}
    shutil.copy(landing / "deep" / "er" / "events.parquet", landing / "copy of events.parquet")
    assert {r.status for r in load_landing_dir(landing, warehouse)} == {"skipped"}  # same content
    after = (
        count(warehouse, "sales_events"),
        count(warehouse, "rejected_events"),
        count(warehouse, "loaded_files"),
    )
    assert after == before

    write_jsonl(landing / "empty.jsonl", [{**GOOD, "event_id": "new-1"}])  # content changed
    [changed] = [r for r in load_landing_dir(landing, warehouse) if r.status != "skipped"]
    assert (changed.source_file, changed.rows_accepted) == ("empty.jsonl", 1)
    assert count(warehouse, "sales_events") == before[0] + 1


def test_csv_missing_optional_columns_and_unknown_extra_columns(tmp_path):
    csv = tmp_path / "landing" / "min.csv"
    csv.parent.mkdir()
    csv.write_text(
        "event_id,event_type,occurred_at,contact_id,lead_source,weird col\n"
        "l-1,lead_created,2025-01-01T09:00:00,c-1,,x\n"
        'l-2,lead_created,2025-01-02T09:00:00,c-2,"web, site",y\n'
    )
    [result] = load_landing_dir(tmp_path / "landing", tmp_path / "w.duckdb")
    assert (result.rows_read, result.rows_accepted) == (2, 2)
    rows = fetch(
        tmp_path / "w.duckdb",
        "select event_id, lead_source, row_number, raw_record from raw.sales_events order by 1",
    )
    assert [r[:3] for r in rows] == [("l-1", None, 2), ("l-2", "web, site", 3)]
    assert '"weird col":"x"' in rows[0][3]


def test_a_file_with_foreign_columns_fails_as_a_file_naming_them(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    landing.mkdir()
    (landing / "hubspot_calls.csv").write_text(
        "Record ID,Activity date,Contact ID,Call outcome\n1,2025-01-05,901,Connected\n2,2025-01-06,902,Busy\n"
    )
    (landing / "partial.csv").write_text("event_id,event_type,contact_id\ne1,call,c1\n")
    write_jsonl(landing / "export.jsonl", [{"Record ID": 1, "Activity date": "2025-01-05"}])
    results = {r.source_file: r for r in load_landing_dir(landing, warehouse)}
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(results, "failed")
    foreign = results["hubspot_calls.csv"].error
    assert (
        "The file lacks none of the required columns (event_id, event_type, occurred_at, contact_id)"
        in foreign
    )
    assert "its columns are: Record ID, Activity date, Contact ID, Call outcome" in foreign
    assert "docs/sources.md" in foreign
    assert "lacks the required column(s) occurred_at;" in results["partial.csv"].error
    assert "its columns are: Activity date, Record ID" in results["export.jsonl"].error
    rows = fetch(warehouse, "select source_file, status, rows_read, error from raw.loaded_files order by 1")
    assert [(name, status, read) for name, status, read, _ in rows] == [
        ("export.jsonl", "failed", 0), ("hubspot_calls.csv", "failed", 0), ("partial.csv", "failed", 0),
    ]  # fmt: skip
    assert count(warehouse, "rejected_events") == 0  # nothing half-loaded: one clear error per file
