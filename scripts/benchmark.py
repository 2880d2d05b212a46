"""Measure the pipeline on generated data: write, load (raw layer and lake) and dbt build, with peak memory.

    .venv/bin/python scripts/benchmark.py --events 10000000 --format parquet
    .venv/bin/python scripts/benchmark.py --events 1000000 --target spark    # dbt on Spark (docs/scale.md)

Prints figures; it asserts nothing (speed is measured here, not in timed tests).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_target import TARGETS, DbtTarget, java_environment
from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.settings import DBT_PROJECT_DIR
from dagster_project.lib.spark.mirror import mirror_exported_models

EVENTS_PER_CONTACT = 9.4  # about what the demo generator writes per contact


# On Linux a child's peak memory (ru_maxrss) keeps its parent's high-water mark across exec, so a
# child of this process, which holds the loader's peak, could never report less. Each measured
# command therefore runs under a small launcher process, which reports its own child's peak on a pipe.
# The launcher adopts orphaned descendants (a child subreaper) and waits for them: the JVM that dbt's
# Spark session starts outlives dbt by a moment and would otherwise be reaped, unmeasured, by init.
# The figure is the largest single process's peak (for Spark: the JVM, not dbt's Python beside it).
LAUNCHER = """
import ctypes, os, resource, subprocess, sys
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER
exit_code = subprocess.call(sys.argv[2:])
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
os.write(int(sys.argv[1]), str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss).encode())
sys.exit(exit_code)
"""


def run_measured(command: list[str], **popen_args) -> float:
    """Run a command to its end; return its own peak resident memory in MB."""
    read_end, write_end = os.pipe()
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(write_end), *command], pass_fds=(write_end,), **popen_args)  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as report:
        peak_kb = report.read()
    if launcher.wait() != 0:
        raise SystemExit(f"{command[0]} failed with exit code {launcher.returncode}")
    return int(peak_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about how many events to generate")
    parser.add_argument("--format", choices=["jsonl", "csv", "parquet"], default="parquet")
    parser.add_argument("--dirty", action="store_true")
    parser.add_argument("--skip-dbt", action="store_true", help="measure generation and loading only")
    parser.add_argument("--target", choices=TARGETS, default="duckdb", help="the dbt target (docs/scale.md)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sales-bench-") as tmp:
        landing, warehouse = Path(tmp) / "landing", Path(tmp) / "warehouse.duckdb"

        # The generator runs in its own process, so the peak memory below is the loader's alone.
        started = time.perf_counter()
        contacts = max(1, round(args.events / EVENTS_PER_CONTACT))
        generator = [sys.executable, "-m", "dagster_project.demo", "--out", str(landing), "--contacts", str(contacts),
                     "--seed", "1", "--format", args.format] + (["--dirty"] if args.dirty else [])  # fmt: skip
        generate_peak = run_measured(generator, stdout=subprocess.DEVNULL)
        write_s = time.perf_counter() - started
        files = sorted(landing.iterdir())
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"generate: {len(files)} {args.format} file(s), {size_mb:,.0f} MB, {write_s:.1f} s "
              f"(peak memory {generate_peak:,.0f} MB)")  # fmt: skip

        started = time.perf_counter()
        results = load_landing_dir(landing, warehouse)
        load_s = time.perf_counter() - started
        read = sum(r.rows_read for r in results)
        rejected = sum(r.rows_rejected for r in results)
        print(f"load:     {read:,} rows read ({rejected:,} rejected) in {load_s:.1f} s "
              f"({read / load_s:,.0f} rows/s); peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")  # fmt: skip

        lake_mb = sum(f.stat().st_size for f in (Path(tmp) / "lake").rglob("*.parquet")) / 1e6
        print(f"lake:     {lake_mb:,.0f} MB of Parquet (written by the load above)")

        if not args.skip_dbt:
            target = DbtTarget.resolve(args.target, warehouse)
            started = time.perf_counter()
            variables = {"warehouse": str(warehouse), **target.dbt_vars()}
            dbt = str(Path(sys.executable).parent / "dbt")
            command = [dbt, "build", "--quiet", "--profiles-dir", ".", *target.cli_args(),
                       "--exclude-resource-type", "unit_test", "--vars", json.dumps(variables)]  # fmt: skip
            env = {**os.environ, **java_environment()}
            dbt_peak = run_measured(command, cwd=DBT_PROJECT_DIR, env=env)
            dbt_s = time.perf_counter() - started
            if target.is_spark:
                mirror_exported_models(warehouse, target.export_dir)
            with duckdb.connect(str(warehouse), read_only=True) as con:
                staged = con.execute("select count(*) from staging.stg_sales_events").fetchone()[0]
            print(f"dbt build ({target.name}): {staged:,} staged events, in {dbt_s:.1f} s; "
                  f"peak memory {dbt_peak:,.0f} MB")  # fmt: skip
        print(f"warehouse: {warehouse.stat().st_size / 1e6:,.0f} MB")


if __name__ == "__main__":
    main()
