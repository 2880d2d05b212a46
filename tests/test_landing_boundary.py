"""The landing folder is a boundary, and a failure that was not the file's is tried again.

Real files, links and writers: a symbolic link out of the folder is never read (and says why), work in
progress (dot-files, *.tmp, *.part) is ignored, a file still being written waits until it has
settled, one written to during the load is not kept half, and a file that failed on memory or I/O is
loaded by the next run while one that failed on its content waits for new content.
"""

from __future__ import annotations

import json
import os
import threading
import time

from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.ingestion.retry import failure_is_transient
from dagster_project.lib.settings import DuckDBConfig
from tests.test_ingestion import GOOD, count, fetch


def events(prefix: str, n: int) -> str:
    return "".join(json.dumps({**GOOD, "event_id": f"{prefix}{i}"}) + "\n" for i in range(n))


def accounted(results) -> bool:
    return all(r.rows_read == r.rows_accepted + r.rows_rejected for r in results if r.status == "loaded")


def test_links_out_of_the_folder_are_not_followed_and_work_in_progress_is_ignored(tmp_path):
    landing, outside = tmp_path / "landing", tmp_path / "outside"
    (landing / ".staging").mkdir(parents=True)
    outside.mkdir()
    (landing / "a.jsonl").write_text(events("a", 3))
    (outside / "secret.jsonl").write_text(events("secret", 2))
    os.symlink("/etc/passwd", landing / "passwd.jsonl")
    os.symlink(outside / "secret.jsonl", landing / "secret.jsonl")
    os.symlink(outside, landing / "mounted")
    os.symlink(landing / "a.jsonl", landing / "alias.jsonl")  # inside: harmless, same content
    for name in (".hidden.jsonl", "b.jsonl.tmp", "c.jsonl.part", ".staging/d.jsonl"):
        (landing / name).write_text(events(name, 1))

    results = load_landing_dir(landing, tmp_path / "w.duckdb")
    by_file = {r.source_file: r for r in results}
    assert sorted(by_file) == ["a.jsonl", "alias.jsonl", "mounted", "passwd.jsonl", "secret.jsonl"]
    assert (by_file["a.jsonl"].status, by_file["a.jsonl"].rows_accepted) == ("loaded", 3)
    assert (by_file["alias.jsonl"].status, by_file["alias.jsonl"].error) == ("skipped", None)  # same content
    assert by_file["passwd.jsonl"].status == "skipped"
    assert by_file["passwd.jsonl"].error == (
        "symbolic link to a file outside the landing folder (/etc/passwd): not followed"
    )
    assert by_file["secret.jsonl"].error.startswith("symbolic link to a file outside the landing folder")
    assert by_file["mounted"].error == (
        f"symbolic link to a folder outside the landing folder ({outside}): not followed"
    )
    w = tmp_path / "w.duckdb"
    assert count(w, "sales_events") == 3 and count(w, "rejected_events") == 0
    assert fetch(w, "select source_file, status from raw.loaded_files") == [("a.jsonl", "loaded")]
    assert not fetch(
        w, "select 1 from raw.sales_events where raw_record like '%root:%' or event_id like 'secret%'"
    )
    assert accounted(results)


def test_a_file_still_being_written_waits_until_it_has_settled(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    landing.mkdir()
    growing = landing / "export.jsonl"
    growing.write_text(events("g", 1))

    def keep_writing() -> None:  # a slow copy: a line every 0.1 s for 2 s
        for i in range(1, 21):
            time.sleep(0.1)
            with growing.open("a") as f:
                f.write(events(f"g{i}-", 1))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    [early] = load_landing_dir(landing, warehouse, settle_seconds=1.5)
    writer.join()
    assert early.status == "skipped" and early.error.startswith("still being written (changed within 1.5 s")
    assert count(warehouse, "sales_events") == 0 and count(warehouse, "loaded_files") == 0

    [settled] = load_landing_dir(landing, warehouse, settle_seconds=1.5)  # waits for the quiet
    assert (settled.status, settled.rows_accepted) == ("loaded", 21)


def test_a_file_appended_to_during_the_load_is_never_kept_half(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    landing.mkdir()
    (landing / "a.jsonl").write_text(events("a", 2))
    (landing / "b.jsonl").write_text(events("b", 5))

    def append_to_b(index, total, result) -> None:  # while the run is under way, after it saw b.jsonl
        if result.source_file == "a.jsonl":
            with (landing / "b.jsonl").open("a") as f:
                f.write(events("b-late", 5))

    results = load_landing_dir(landing, warehouse, on_file=append_to_b)
    assert [(r.source_file, r.status) for r in results] == [("a.jsonl", "loaded"), ("b.jsonl", "skipped")]
    assert results[1].error.startswith("written to while it was being read: nothing kept")
    assert fetch(warehouse, "select count(*) from raw.sales_events where event_id like 'b%'") == [(0,)]

    [_, b] = load_landing_dir(landing, warehouse)
    assert (b.status, b.rows_accepted) == ("loaded", 10)
    ids = fetch(warehouse, "select event_id, count(*) from raw.sales_events group by 1 having count(*) > 1")
    assert ids == []  # every row once: never half a file, then the whole again
    assert count(warehouse, "sales_events") == 12


def test_a_file_that_failed_on_memory_is_retried_one_that_failed_on_its_content_waits(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "w.duckdb"
    landing.mkdir()
    (landing / "good.jsonl").write_text(events("g", 4))
    (landing / "broken.parquet").write_bytes(b"PAR1 not really a parquet file")

    # A memory limit far below what DuckDB's JSON Lines reader takes: the load fails, not the file.
    first = {
        r.source_file: r
        for r in load_landing_dir(
            landing, warehouse, duckdb_config=DuckDBConfig("16MB", None, tmp_path / "tmp")
        )
    }
    assert first["good.jsonl"].status == "failed" and first["good.jsonl"].error.startswith(
        "OutOfMemoryException"
    )
    assert first["broken.parquet"].error.startswith(
        "InvalidInputException: Invalid Input Error: No magic bytes"
    )
    assert failure_is_transient(first["good.jsonl"].error)
    assert not failure_is_transient(first["broken.parquet"].error)

    second = {r.source_file: r for r in load_landing_dir(landing, warehouse)}
    assert (second["good.jsonl"].status, second["good.jsonl"].rows_accepted) == ("loaded", 4)
    assert (second["broken.parquet"].status, second["broken.parquet"].error) == ("skipped", None)

    (landing / "broken.parquet").unlink()
    (landing / "broken.jsonl").write_text(events("fixed", 1))  # new content: loaded
    third = {r.source_file: r for r in load_landing_dir(landing, warehouse)}
    assert third["broken.jsonl"].status == "loaded" and third["good.jsonl"].status == "skipped"
    ledger = fetch(warehouse, "select source_file, status from raw.loaded_files order by load_id")
    assert ledger == [("broken.parquet", "failed"), ("good.jsonl", "failed"), ("good.jsonl", "loaded"),
                      ("broken.jsonl", "loaded")]  # fmt: skip
    assert count(warehouse, "sales_events") == 5
