"""The raw layer as Parquet (lib/ingestion/lake.py): each load's accepted rows, once, whole, readable,
written for the Spark targets (by the loader given the lake, and by a Spark build's preparation)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.lib.dbt_target import DbtTarget
from dagster_project.lib.ingestion.lake import LakeError, load_file_path, loads_in_lake
from dagster_project.lib.ingestion.loader import load_landing_dir
from tests.conftest import write_jsonl

CALL = {
    "event_type": "call",
    "contact_id": "c-1",
    "rep_id": "r-1",
    "direction": "outbound",
    "outcome": "busy",
}


def call(event_id: str, day: int, **extra) -> dict:
    return {**CALL, "event_id": event_id, "occurred_at": f"2025-01-{day:02d}T10:00:00Z", **extra}


def read_lake(lake: Path) -> list[tuple]:
    """Every row of the lake as another engine sees it: load_id comes from the folder names."""
    return duckdb.sql(
        f"select * from read_parquet('{lake}/sales_events/*/*.parquet', hive_partitioning = true, "
        "hive_types = {'load_id': bigint}) order by load_id, row_number"
    ).fetchall()


def read_raw(warehouse: Path) -> list[tuple]:
    """raw.sales_events with its columns in the lake's order (load_id last, as a partition column)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select * exclude (load_id), load_id from raw.sales_events order by load_id, row_number"
        ).fetchall()


def stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_each_load_is_one_parquet_file_equal_to_the_raw_rows(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    write_jsonl(
        landing / "a.jsonl", [call("e1", 1), call("e2", 2, updated_at="2025-01-03T00:00:00+02:00"), "oops"]
    )
    write_jsonl(landing / "b.jsonl", [call("e3", 3, amount="x", event_type="purchase")])  # all rejected
    (landing / "c.parquet").write_bytes(b"not parquet")  # fails: no load in the lake
    results = load_landing_dir(landing, warehouse)  # the DuckDB target: no lake
    assert [r.status for r in results] == ["loaded", "loaded", "failed"]
    lake = tmp_path / "lake"  # the default: beside the warehouse
    assert not lake.exists()

    # A Spark build's preparation writes every load the lake lacks, once.
    DbtTarget.resolve("spark", warehouse).prepare_build()
    assert loads_in_lake(lake) == {1, 2}
    first = stamp(load_file_path(lake, 1))
    DbtTarget.resolve("spark", warehouse).prepare_build()
    assert stamp(load_file_path(lake, 1)) == first
    lake_rows = read_lake(lake)
    assert lake_rows == read_raw(warehouse)
    assert [(row[0], row[-1]) for row in lake_rows] == [("e1", 1), ("e2", 1)]  # accepted rows only
    # A load with no accepted row is still there, as an empty file: the lake lists every load.
    assert duckdb.sql(f"select count(*) from '{load_file_path(lake, 2)}'").fetchone()[0] == 0
    assert not list(lake.rglob("*inprogress*"))


def test_a_load_is_written_once_and_never_rewritten(tmp_path):
    landing, warehouse, lake = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "elsewhere"
    write_jsonl(landing / "a.jsonl", [call("e1", 1)])
    load_landing_dir(landing, warehouse, lake_dir=lake)
    first = stamp(load_file_path(lake, 1))

    load_landing_dir(landing, warehouse, lake_dir=lake)  # nothing new
    write_jsonl(landing / "b.jsonl", [call("e1", 1, outcome="connected"), call("e2", 2)])
    load_landing_dir(landing, warehouse, lake_dir=lake)
    assert stamp(load_file_path(lake, 1)) == first
    assert loads_in_lake(lake) == {1, 2}
    assert read_lake(lake) == read_raw(warehouse)
    assert not (tmp_path / "lake").exists()


def test_a_load_missing_from_the_lake_is_written_by_the_next_run(tmp_path):
    landing, warehouse, lake = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "lake"
    write_jsonl(landing / "a.jsonl", [call("e1", 1)])
    write_jsonl(landing / "b.jsonl", [call("e2", 2)])
    # The lake cannot be written (a file where load 2's folder goes): the load itself is kept in the
    # warehouse, the run reports the error, no half file is left.
    (lake / "sales_events").mkdir(parents=True)
    (lake / "sales_events" / "load_id=2").write_text("in the way")
    with pytest.raises(OSError):
        load_landing_dir(landing, warehouse, lake_dir=lake)
    assert len(read_raw(warehouse)) == 2
    assert loads_in_lake(lake) == {1}

    (lake / "sales_events" / "load_id=2").unlink()
    results = load_landing_dir(landing, warehouse, lake_dir=lake)
    assert [r.status for r in results] == ["skipped", "skipped"]  # nothing loaded twice
    assert loads_in_lake(lake) == {1, 2}
    assert read_lake(lake) == read_raw(warehouse)
    assert not list(lake.rglob(".*"))


def test_a_lake_of_another_warehouse_is_refused_before_loading(tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    write_jsonl(landing / "a.jsonl", [call("e1", 1)])
    load_landing_dir(landing, tmp_path / "old.duckdb", lake_dir=lake)
    before = stamp(load_file_path(lake, 1))

    fresh = tmp_path / "new.duckdb"  # a new warehouse would number its first load 1 again
    with pytest.raises(LakeError, match=r"holds load\(s\) 1 that are not loads of this warehouse"):
        load_landing_dir(landing, fresh, lake_dir=lake)
    with duckdb.connect(str(fresh), read_only=True) as con:
        assert con.execute("select count(*) from raw.loaded_files").fetchone()[0] == 0
    assert stamp(load_file_path(lake, 1)) == before
