"""Incremental dbt builds give the tables a full build gives (docs/scale.md, "Incremental builds").

The same events reach two warehouses: one as a single load built once in full, the other as a
history load followed by daily loads, built after each load the way the Dagster asset builds
(lib/dbt_build.py decides incremental or `--full-refresh`). Among the daily loads: late events
(weeks old, delivered now), corrections (a later version of an event with a later updated_at: one
moves a call to another contact, one turns a purchase that won an offer into a meeting), an older
version that must lose, and a load held by the reject gate. Every row of every staging,
intermediate and mart model must be equal, but for the columns that say which load delivered a row.
Then the hold is released: the next build must be a full refresh and stage the held rows.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.dbt_build import (
    build_fingerprint,
    build_state,
    dbt_build_args,
    dbt_vars,
    full_refresh_reason,
    last_complete_build,
    missing_from_build,
    write_build_marker,
)
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.ingestion.gate import apply_gate, release
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.planning.settings import DEMO_TARGETS_FILE
from dagster_project.lib.planning.store import store_targets
from dagster_project.lib.planning.targets import read_targets_file
from dagster_project.lib.settings import DBT_PROJECT_DIR, Settings
from tests.conftest import write_jsonl

DBT = str(Path(sys.executable).parent / "dbt")
MANIFEST = dbt_project().manifest_path
# Which load delivered a row, and which build staged it: the only columns allowed to differ.
DELIVERY_COLUMNS = {"load_id", "batch_load_id", "source_file"}
# Bookkeeping of the incremental builds (the keys the latest batch changed, their events), not facts.
BOOKKEEPING = {("intermediate", "int_changed_keys"), ("intermediate", "int_changed_events")}


# --------------------------------------------------------------------------- the decision, by hand

STATE = {"dbt_project": "p1", "vars": {"warehouse": "w"}, "held_load_ids": [3], "newest_load_id": 5}


def test_an_incremental_build_continues_a_complete_build_of_the_same_project_and_vars():
    assert full_refresh_reason(STATE, {**STATE, "newest_load_id": 6}) is None
    assert full_refresh_reason(STATE, STATE) is None  # nothing new: incremental, nothing staged
    # A new load held before it was ever staged stays out without a rebuild.
    assert full_refresh_reason(STATE, {**STATE, "held_load_ids": [3, 6], "newest_load_id": 6}) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"dbt_project": "p2"}, "the dbt project changed"),
        ({"vars": {"warehouse": "w", "as_of": "2025-06-30"}}, "the dbt vars changed (as_of)"),
        ({"held_load_ids": []}, "held load(s) 3 released"),
        ({"held_load_ids": [3, 4]}, "load(s) 4 held after being staged"),
        ({"newest_load_id": 4}, "the raw layer lost loads since the last build"),
    ],
)
def test_a_full_refresh_says_why(change, reason):
    assert full_refresh_reason(STATE, {**STATE, **change}) == reason


def test_duckdb_resource_settings_change_neither_the_decision_nor_the_fingerprint(tmp_path):
    """Memory, threads and temp folder say how a build runs, not what it makes."""
    warehouse = tmp_path / "warehouse.duckdb"
    small = {"warehouse": str(warehouse), "duckdb_memory_limit": "1GB", "duckdb_threads": "1"}
    large = {**small, "duckdb_memory_limit": "8GB", "duckdb_threads": "2"}
    assert (
        full_refresh_reason(build_state(warehouse, small, MANIFEST), build_state(warehouse, large, MANIFEST))
        is None
    )
    assert build_state(warehouse, small, MANIFEST) == build_state(warehouse, large, MANIFEST)


def test_parsing_the_same_project_again_is_no_project_change(tmp_path):
    """A parse under other vars (a test's, another environment's) parses every file again and stamps
    each node with its time: that is not a changed project, an edited model is."""
    manifest = json.loads(MANIFEST.read_text())
    for resources in manifest.values():
        for resource in resources.values() if isinstance(resources, dict) else ():
            if isinstance(resource, dict) and "created_at" in resource:
                resource["created_at"] += 100.0
    again, edited = tmp_path / "again.json", tmp_path / "edited.json"
    again.write_text(json.dumps(manifest))
    model = next(node for node in manifest["nodes"].values() if node["resource_type"] == "model")
    model["raw_code"] += "\n-- edited"
    edited.write_text(json.dumps(manifest))

    def project(path: Path) -> str:
        return build_state(tmp_path / "none.duckdb", {}, path)["dbt_project"]

    assert project(again) == project(MANIFEST) != project(edited)
    assert (
        full_refresh_reason(
            build_state(tmp_path / "none.duckdb", {}, MANIFEST),
            build_state(tmp_path / "none.duckdb", {}, again),
        )
        is None
    )


def test_without_a_complete_build_the_build_is_full():
    assert full_refresh_reason(None, STATE).startswith("no complete build to continue")


# --------------------------------------------------------------------------- the data


def demo_rows(root: Path) -> list[dict]:
    """Clean demo events of 150 contacts over a year (with the demo's own corrections)."""
    out = root / "demo"
    subprocess.run(
        [sys.executable, "-m", "dagster_project.demo", "--out", str(out), "--contacts", "150",
         "--seed", "12", "--format", "jsonl", "--quiet"],
        check=True, capture_output=True,
    )  # fmt: skip
    [path] = out.glob("*.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _day(row: dict) -> str:
    return row["occurred_at"][:10]


def split_into_loads(rows: list[dict]) -> dict[str, list[dict]]:
    """history, then days a-d (the last four days with events), with late and corrected events."""
    days = sorted({_day(r) for r in rows})[-4:]
    loads = {"history": [r for r in rows if _day(r) < days[0]]}
    for name, day in zip("abcd", days, strict=True):
        loads[name] = [r for r in rows if _day(r) == day]
    history = loads["history"]
    versioned = {r["event_id"] for r in rows if r["updated_at"]}
    plain = [r for r in history if r["event_id"] not in versioned]

    def stamp(day: str) -> str:
        return f"{day}T12:00:00"

    # Day a: late events (a purchase and a lead weeks old, never delivered before) ...
    late = [next(r for r in plain if r["event_type"] == t) for t in ("purchase", "lead_created")]
    for row in late:
        history.remove(row)
        loads["a"].append(row)
    # ... and a call corrected onto another contact, one that is already a customer.
    call = next(r for r in plain if r["event_type"] == "call" and r not in late)
    buyer = next(
        r["contact_id"]
        for r in plain
        if r["event_type"] == "purchase" and r["contact_id"] != call["contact_id"]
    )
    loads["a"].append({**call, "contact_id": buyer, "updated_at": stamp(days[0])})
    # Day b: a purchase that won an offer becomes a meeting; an older version of it loses.
    purchase = next(r for r in plain if r["event_type"] == "purchase" and r["offer_id"] and r not in late)
    meeting = {**purchase, "event_type": "meeting", "outcome": "held", "offer_id": None, "amount": None}
    loads["b"].append({**meeting, "updated_at": stamp(days[1])})
    loads["b"].append({**purchase, "amount": 1.0, "updated_at": "2025-01-01T00:00:00"})
    return loads


def write_load(landing: Path, name: str, rows: list, warehouse: Path) -> int:
    """One file, one load (and the demo's sales targets, for the planning marts); its load_id."""
    write_jsonl(landing / f"{name}.jsonl", rows)
    with duckdb.connect(str(warehouse)) as con:
        store_targets(con, read_targets_file(DEMO_TARGETS_FILE), datetime(2026, 1, 1))
    [result] = [r for r in load_landing_dir(landing, warehouse, run_id=f"run-{name}") if r.status == "loaded"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select load_id from raw.loaded_files where source_file = ?", [result.source_file]
        ).fetchone()[0]


# --------------------------------------------------------------------------- the builds


def build(warehouse: Path, target_dir: Path, command: str = "run") -> str | None:
    """One dbt invocation as the Dagster asset makes it (defs/dbt/assets.py): incremental or full as
    lib/dbt_build.py decides, marked complete after; returns the full-refresh reason (None when
    incremental)."""
    settings = Settings.from_values(warehouse=str(warehouse))
    variables = dbt_vars(settings)
    state = build_state(warehouse, variables, MANIFEST)
    last = last_complete_build(warehouse, MANIFEST)
    reason = full_refresh_reason(last.state if last else None, state)
    args = dbt_build_args(variables)
    args[0] = command
    if command == "run":  # `dbt run` takes no resource-type filter; the unit tests are not run anyway
        args[1:3] = []
    done = subprocess.run(
        [DBT, *args, *(["--full-refresh"] if reason else []), "--profiles-dir", ".",
         "--target-path", str(target_dir), "--log-path", str(target_dir / "logs")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-5000:]
    run_results = json.loads((target_dir / "run_results.json").read_text(encoding="utf-8"))
    assert missing_from_build(run_results, variables, MANIFEST) == []
    write_build_marker(warehouse, build_fingerprint(warehouse, variables, MANIFEST), variables, None, state)
    return reason


def model_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_schema in ('staging', 'intermediate', 'marts') order by all"
    ).fetchall()
    return [r for r in rows if r not in BOOKKEEPING]


def same_rows(con: duckdb.DuckDBPyConnection, ours: str, theirs: str) -> bool:
    """The same rows, but for the delivery columns; doubles to 1e-9 (sums may add in another order)."""
    columns = [(name, kind) for name, kind, *_ in con.execute(f"describe select * from {ours}").fetchall()]
    kept = [(name, kind) for name, kind in columns if name not in DELIVERY_COLUMNS]
    names = ", ".join(f'"{name}"' for name, _ in kept)
    order = ", ".join(f'"{name}"' if kind != "DOUBLE" else f'round("{name}", 6)' for name, kind in kept)
    want, got = (con.execute(f"select {names} from {r} order by {order}").fetchall() for r in (ours, theirs))
    return len(want) == len(got) and all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for row_a, row_b in zip(want, got, strict=True)
        for a, b in zip(row_a, row_b, strict=True)
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("incremental")
    loads = split_into_loads(demo_rows(root))
    daily, once = root / "daily", root / "once"
    reasons = {}
    for name in ("history", "a"):
        write_load(daily / "landing", name, loads[name], daily / "warehouse.duckdb")
        reasons[name] = build(daily / "warehouse.duckdb", daily / "target")
    # Day b, and a second load that day, mostly broken: held by the reject gate, its good rows
    # (day c's events) must stay out. This build runs the data tests too: they must pass on an
    # incremental build.
    write_load(daily / "landing", "b", loads["b"], daily / "warehouse.duckdb")
    held = write_load(
        daily / "landing", "c", loads["c"] + ["{not json"] * len(loads["c"]), daily / "warehouse.duckdb"
    )
    assert [h.load_id for h in apply_gate(daily / "warehouse.duckdb", "run-c", 0.05)[0]] == [held]
    reasons["b"] = build(daily / "warehouse.duckdb", daily / "target", "build")
    # The same events but the held ones, as one load built once.
    everything = loads["history"] + loads["a"] + loads["b"]
    write_load(once / "landing", "all", everything, once / "warehouse.duckdb")
    reasons["once"] = build(once / "warehouse.duckdb", once / "target")
    return {"root": root, "loads": loads, "held": held, "reasons": reasons, "daily": daily, "once": once}


def test_only_the_first_build_is_full(built):
    reasons = built["reasons"]
    assert reasons["history"].startswith("no complete build") and reasons["once"].startswith(
        "no complete build"
    )
    assert (reasons["a"], reasons["b"]) == (None, None)


def test_daily_incremental_builds_equal_one_full_build_row_for_row(built):
    with duckdb.connect(str(built["daily"] / "warehouse.duckdb"), read_only=True) as con:
        con.execute(f"attach '{built['once'] / 'warehouse.duckdb'}' as once (read_only)")
        relations = model_relations(con)
        assert ("marts", "metric_values") in relations and ("intermediate", "int_activities") in relations
        assert len(relations) > 30
        rows = 0
        for schema, table in relations:
            rows += con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
            assert same_rows(con, f"{schema}.{table}", f"once.{schema}.{table}"), f"{schema}.{table}"
        assert rows > 10_000  # not a comparison of empty tables
        # The corrections took: the call moved, the purchase became a meeting, the old version lost.
        b_rows = built["loads"]["b"]
        meeting = b_rows[-2]
        assert con.execute(
            "select event_type, amount from staging.stg_sales_events where event_id = ?",
            [meeting["event_id"]],
        ).fetchone() == ("meeting", None)
        assert con.execute(
            "select count(*) from intermediate.int_offers where offer_id = ? and won_at is not null",
            [b_rows[-1]["offer_id"]],
        ).fetchone() == (0,)
        # The held load's events are not staged.
        held_ids = [r["event_id"] for r in built["loads"]["c"]]
        assert con.execute(
            "select count(*) from staging.stg_sales_events where list_contains(?, event_id)", [held_ids]
        ).fetchone() == (0,)


def test_the_facts_rebuild_from_the_changed_keys_events_only(built):
    """The incremental facts read int_changed_events: exactly the staged events of the changed
    contacts and offers (the day's own and their older ones); after a full refresh, which reads
    int_events, neither bookkeeping table holds anything.
    Before the release below, which rebuilds the daily warehouse in full."""
    changed = """
        select * from intermediate.int_events
        where contact_id in (select key_value from intermediate.int_changed_keys where key_kind = 'contact')
           or offer_id in (select key_value from intermediate.int_changed_keys where key_kind = 'offer')"""
    with duckdb.connect(str(built["daily"] / "warehouse.duckdb"), read_only=True) as con:
        wanted = con.execute(f"select count(*) from ({changed})").fetchone()[0]
        day = con.execute(
            "select count(*) from staging.stg_sales_events"
            " where batch_load_id = (select max(batch_load_id) from staging.stg_sales_events)"
        ).fetchone()[0]
        assert wanted > day > 0  # the contacts' older events come along with the day's
        assert (
            con.execute(
                f"select count(*) from (({changed}) except all (select * from intermediate.int_changed_events))"
            ).fetchone()[0]
            == 0
        )
        assert con.execute("select count(*) from intermediate.int_changed_events").fetchone()[0] == wanted
    with duckdb.connect(str(built["once"] / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from intermediate.int_changed_events").fetchone()[0] == 0
        assert con.execute("select count(*) from intermediate.int_changed_keys").fetchone()[0] == 0


def test_releasing_a_held_load_rebuilds_in_full_and_stages_its_rows(built):
    warehouse = built["daily"] / "warehouse.duckdb"
    release(warehouse, built["held"], "checked by hand: the broken lines were a bad export")
    write_load(built["daily"] / "landing", "d", built["loads"]["d"], warehouse)
    assert build(warehouse, built["daily"] / "target") == f"held load(s) {built['held']} released"
    for day in ("c", "d"):  # the released load's events and the new day's are staged
        event_ids = sorted({r["event_id"] for r in built["loads"][day]})
        with duckdb.connect(str(warehouse), read_only=True) as con:
            staged = con.execute(
                "select count(*) from staging.stg_sales_events where list_contains(?, event_id)", [event_ids]
            ).fetchone()[0]
        assert staged == len(event_ids), day
