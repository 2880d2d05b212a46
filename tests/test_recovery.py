"""Crash recovery without a human: real `kill -9` of a run's whole process group at the load, during
dbt and right after a publish's rename, then a run on the same instance that completes by itself.

The runs are real subprocesses of `dagster asset materialize --select '*'` against a temporary
DAGSTER_HOME with the project's dagster.yaml (the pool `duckdb_warehouse` limited to 1), over a copy
of the landing files of the uninterrupted run of tests/conftest.py (`hostile_clean_run`):

- run A is killed while it loads (right after it recorded its first file, a broken one, as failed):
  the next run's start finds its process gone, marks it failed and frees the slot it held (otherwise
  every later run waits for ever), and loads the rest without reusing a load id;
- run B, with SALES_AS_OF, is killed after dbt rebuilt a few marts for that as_of: the daemon's
  sensor recovers it; the marts are now a mix, and the next run must build again, not skip;
- run C is killed right after its snapshot folder was renamed into the serving folder: the views
  must not serve data that `current` and the report do not point at;
- run D completes by itself: C's build was complete but never published, so D builds again and
  publishes; its marts equal the clean run's to 1e-9, and the time from C's kill to D's end is
  printed (docs/operations.md quotes it).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.instance.ref import InstanceRef

from dagster_project.defs.recovery.sensors import recover_crashed_runs_sensor
from dagster_project.defs.resources import WAREHOUSE_POOL
from dagster_project.lib.recovery import WORKER_TAG, process_identity, worker_state
from dagster_project.lib.report.build import publish_with_report
from dagster_project.lib.serving import publish
from dagster_project.lib.settings import REPO_ROOT

WAIT_SECONDS = 420  # the longest wait for one phase on a loaded 2-core machine
_SNAPSHOT = re.compile(r"\d{16}_\d{8}T\d{12}Z")


def test_a_process_is_gone_once_killed_even_before_it_is_reaped():
    child = subprocess.Popen(["sleep", "60"])
    identity = process_identity(child.pid)
    assert worker_state(identity) == "alive"
    host, pid, boot, start = identity.rsplit(":", 3)
    assert worker_state(f"{host}:{pid}:{boot}:{int(start) + 1}") == "gone"  # a reused pid: not the same
    assert worker_state(f"elsewhere.example:{pid}:{boot}:{start}") == "elsewhere"
    child.kill()
    time.sleep(0.2)
    assert worker_state(identity) == "gone"  # a zombie, not yet waited for
    child.wait()
    assert worker_state(identity) == "gone"


# ------------------------------------------------------------------------------------ the crash chain


def wait_for(condition: Callable[[], object], what: str, timeout: float = WAIT_SECONDS, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Chain:
    """A DAGSTER_HOME, a warehouse and a serving folder, and runs started as the CLI would."""

    def __init__(self, root: Path, landing: Path):
        self.root, self.home = root, root / "home"
        self.home.mkdir()
        shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", self.home)
        self.landing = root / "landing"
        shutil.copytree(landing, self.landing)
        # Loaded first, and failed at once: its log line tells that the load is under way.
        (self.landing / "a_broken.parquet").write_bytes(b"PAR1 not a parquet file")
        self.warehouse, self.serving = root / "warehouse.duckdb", root / "serving"
        self.instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home)))

    def start(self, name: str, **env: str) -> subprocess.Popen:
        # Any share of rejected rows: a kill may leave the hostile files alone in the next run's load,
        # and the raw gate (lib/ingestion/gate.py) would then hold the marts: not what is tested here.
        environ = {**os.environ, "DAGSTER_HOME": str(self.home), "SALES_LANDING_DIR": str(self.landing),
                   "SALES_WAREHOUSE": str(self.warehouse), "SALES_SERVING_DIR": str(self.serving),
                   "SALES_MAX_REJECT_SHARE": "1", **env}  # fmt: skip
        environ.pop("SALES_AS_OF", None) if "SALES_AS_OF" not in env else None
        log = (self.root / f"{name}.log").open("wb")
        dagster = str(Path(sys.executable).parent / "dagster")
        return subprocess.Popen(
            [dagster, "asset", "materialize", "--select", "*", "-m", "dagster_project.definitions"],
            cwd=REPO_ROOT, env=environ, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def run_of(self, process: subprocess.Popen) -> dg.DagsterRun | None:
        """The run a CLI process started: the one whose worker tag names its pid."""
        for run in self.instance.get_runs(limit=10):
            if f":{process.pid}:" in run.tags.get(WORKER_TAG, ""):
                return run
        return None

    def messages(self, run_id: str) -> list[str]:
        return [entry.user_message for entry in self.instance.all_logs(run_id)]

    def status(self, run_id: str) -> dg.DagsterRunStatus:
        return self.instance.get_run_by_id(run_id).status


def kill_group(process: subprocess.Popen) -> float:
    """kill -9 of the run's whole process group (the CLI, its dbt, everything); returns the time."""
    os.killpg(process.pid, signal.SIGKILL)
    killed_at = time.time()
    process.wait()
    return killed_at


def claimed_slots(instance: dg.DagsterInstance) -> list[str]:
    return [
        slot.run_id for slot in instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL).claimed_slots
    ]


def marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()]  # fmt: skip
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


def assert_same_marts(actual: dict, expected: dict) -> None:
    assert (
        actual.keys() == expected.keys() and len(expected) == 17
    )  # the ten metrics, metric_values and the six planning marts
    for table, rows in expected.items():
        assert len(actual[table]) == len(rows), table
        for got, want in zip(actual[table], rows, strict=True):
            for a, b in zip(got, want, strict=True):
                if isinstance(b, float) and isinstance(a, float):
                    assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (table, got, want)
                else:
                    assert a == b, (table, got, want)


def published_us(name: str | None) -> int:
    return publish.KEY_MAX - int(name.split("_")[0]) if name else -1


def readers_view(serving: Path) -> tuple[str | None, str | None, str | None]:
    """(what the views serve, what `current` points at, what the report was built from)."""
    live = publish.visible_snapshot(serving, at=datetime.now() + timedelta(hours=1))
    current = (
        os.readlink(serving / publish.CURRENT).split("/")[-1]
        if (serving / publish.CURRENT).is_symlink()
        else None
    )
    report = serving / "report" / "index.html"
    found = _SNAPSHOT.findall(report.read_text(encoding="utf-8")) if report.exists() else []
    return (live.name if live else None), current, (found[0] if found else None)


@pytest.fixture(scope="module")
def chain(tmp_path_factory, hostile_clean_run):
    landing, clean_warehouse, clean = hostile_clean_run
    assert clean.success
    chain = Chain(tmp_path_factory.mktemp("crash_chain"), landing)
    yield chain, clean_warehouse
    chain.instance.dispose()


def test_kill_9_at_load_at_dbt_and_at_publish_then_a_run_completes_by_itself(chain):
    chain, clean_warehouse = chain
    # A live snapshot before the crashes (the clean run's marts), so a crash has something to lag.
    before = publish_with_report(clean_warehouse, chain.serving, run_id="before", switch_margin_s=0.1)

    # A: killed while it loads, holding the pool's only slot.
    a = chain.start("a")
    run_a = wait_for(lambda: chain.run_of(a), "run A to start")
    wait_for(
        lambda: any("a_broken.parquet could not be loaded" in m for m in chain.messages(run_a.run_id)),
        "run A to load its first file",
    )
    kill_group(a)
    assert chain.status(run_a.run_id) == dg.DagsterRunStatus.STARTED
    assert claimed_slots(chain.instance) == [run_a.run_id]  # as the issue found it: the slot is kept

    # B (as_of): its start recovers A; killed once dbt has rebuilt three marts for its as_of.
    b = chain.start("b", SALES_AS_OF="2025-06-30")
    run_b = wait_for(lambda: chain.run_of(b), "run B to start")
    wait_for(lambda: chain.log("b").count("OK created sql table model marts.") >= 3, "B's dbt to build marts")
    kill_group(b)
    assert chain.status(run_a.run_id) == dg.DagsterRunStatus.FAILURE
    assert any(f"The process of run {run_a.run_id}" in m for m in chain.messages(run_b.run_id))
    # The daemon's sensor recovers B (a queued run would wait for it).
    skip = recover_crashed_runs_sensor(dg.build_sensor_context(instance=chain.instance))
    assert skip.skip_message.startswith("Marked 1 crashed run(s) failed, freed the slots of 1")
    assert chain.status(run_b.run_id) == dg.DagsterRunStatus.FAILURE and claimed_slots(chain.instance) == []

    # C: builds everything again (B left no marker), killed right after its snapshot's rename.
    names_before = set(os.listdir(chain.serving / publish.SNAPSHOTS))
    c = chain.start("c")
    run_c = wait_for(lambda: chain.run_of(c), "run C to start")
    wait_for(lambda: set(os.listdir(chain.serving / publish.SNAPSHOTS)) - names_before, "C's snapshot rename")
    killed_at = kill_group(c)
    assert "dbt build skipped" not in chain.log("c") and "dbt build --exclude-resource-type" in chain.log("c")
    live, current, report = readers_view(chain.serving)
    assert published_us(live) <= published_us(current) and published_us(live) <= published_us(report), (
        f"the views serve {live} while current is {current} and the report {report}"
    )

    # D: recovers C at its start, and completes by itself.
    d = chain.start("d")
    assert d.wait(timeout=WAIT_SECONDS) == 0, chain.log("d")[-3000:]
    crash_to_completion = time.time() - killed_at
    run_d = chain.run_of(d)
    assert chain.status(run_d.run_id) == dg.DagsterRunStatus.SUCCESS
    assert chain.status(run_c.run_id) == dg.DagsterRunStatus.FAILURE
    assert "Step blocked by limit for pool" not in chain.log("d") and claimed_slots(chain.instance) == []
    assert "The last complete build was not published: dbt builds again" in chain.log("d")

    assert_same_marts(marts(chain.warehouse), marts(clean_warehouse))
    live, current, report = readers_view(chain.serving)
    assert live == current == report and live != before.snapshot.name
    with duckdb.connect(str(chain.serving / publish.SERVING_DB), read_only=True) as con:
        served = con.execute("select * from marts.metric_values order by all").fetchall()
        assert con.execute("select run_id from serving.snapshot").fetchone()[0] == run_d.run_id
    assert_same_marts({**marts(clean_warehouse), "metric_values": served}, marts(clean_warehouse))
    print(f"\nCrash to the next run's completion: {crash_to_completion:.1f} s "
          f"(kill -9 of run C at its publish -> run D, started at once by the CLI, done) on {socket.gethostname()}")  # fmt: skip
    assert crash_to_completion < 240
