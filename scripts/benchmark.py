"""Measure the pipeline as a user runs it, against plain DuckDB SQL over the same files (issue 12).

    make benchmark                                    # 10 million events (about 10 minutes here)
    .venv/bin/python scripts/benchmark.py --events 20000
    .venv/bin/python scripts/benchmark.py --events 1000000 --target spark   # dbt on Spark (docs/scale.md)

In a temporary folder: generate N events as Parquet with duplicates and malformed rows (the demo
generator), and one more day of events (demo.one_more_day: new, late and corrected events). Then
  (a) `python -m dagster_project.run` on an empty warehouse (the whole asset graph),
  (b) the same again with nothing new,
  (c) the same after the extra day's file lands,
  (d) scripts/reference_metrics.sql: the ten metrics as plain DuckDB SQL in one process.
Prints each stage's time (from the run's Dagster event log and dbt's run_results.json), each run's
peak memory, the marginal costs (a) - (b) and (c) - (b) against (d), issue 12's targets, and whether
(d) computes the same numbers as the marts. Prints figures; timings are asserted nowhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dagster_project.demo import one_more_day
from dagster_project.lib.dbt_target import TARGETS
from dagster_project.lib.settings import DBT_PROJECT_DIR, REPO_ROOT

EVENTS_PER_CONTACT = 9.4  # about what the demo generator writes per contact
REFERENCE_SQL = Path(__file__).with_name("reference_metrics.sql")
GIB = 1024**3

# Issue 12's targets on this machine at about 10 million events.
FULL_RUN_MAX_RATIO = 3.0  # marginal full run (a) - (b) within 3x of (d)
DAY_RUN_MAX_RATIO = 0.5  # marginal one-day update (c) - (b) within 0.5x of (d)
IDLE_RUN_MAX_S = 10.0  # (b), a run with nothing new
PEAK_MAX_BYTES = 3 * GIB  # the largest process of any run

# (d) and the marts agree on a row when numerator and denominator are equal to this relative
# tolerance (sums of doubles in another order). The benchmark fails only when more than
# DISAGREEMENT_FAILS of the overall slice's rows differ: then the two compute different things and the
# ratios compare nothing; a few differing rows are printed for a look but leave the timings meaningful.
TOLERANCE = 1e-9
DISAGREEMENT_FAILS = 0.01

# The stages of a run, by the Dagster step keys of the asset graph (the first match wins); the dbt
# step is split into models and tests below. A step that matches none is "other steps", named.
STAGES = [
    ("load", ("raw_ingestion", "sales_targets", "hubspot", "salesforce")),
    ("dbt", ("dbt",)),
    ("GX checks", ("gx_",)),
    ("publish", ("published_marts",)),
    ("report", ("metrics_report",)),
]
ROWS = [
    "load",
    "dbt models",
    "dbt tests",
    "dbt start-up, parse, end",
    "GX checks",
    "publish",
    "report",
    "other steps",
    "start-up/Dagster",
]


# On Linux a child's peak memory (ru_maxrss) keeps its parent's high-water mark across exec, so a
# child of this process could never report less than this process's peak. Each measured command
# therefore runs under a small launcher process, which reports its own children's peak on a pipe.
# The launcher adopts orphaned descendants (a child subreaper) and waits for them: the JVM that dbt's
# Spark session starts outlives dbt by a moment and would otherwise be reaped, unmeasured, by init.
# The figure is the largest single process's peak (Dagster's, or dbt's beside it, or Spark's JVM).
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

# Step (d) in its own process: run the SQL file over the given files, save its result for the comparison.
REFERENCE_RUNNER = """
import sys, duckdb
sql, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
con.execute("set variable event_files = ?", [files])
con.execute(open(sql).read())
con.execute(f"copy reference_metric_values to '{out}' (format parquet)")
"""


def run_measured(command: list[str], log: Path | None = None, **popen_args) -> tuple[float, int]:
    """Run a command to its end; return its wall time in seconds and its own peak memory in bytes.
    Its output goes to `log` when given; a failure stops the benchmark with the log's end."""
    read_end, write_end = os.pipe()
    output = open(log, "w") if log else None  # noqa: SIM115 (closed below, after the child ends)
    started = time.perf_counter()
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(write_end), *command], pass_fds=(write_end,),
                                stdout=output, stderr=subprocess.STDOUT if output else None, **popen_args)  # fmt: skip
    os.close(write_end)
    with os.fdopen(read_end) as report:
        peak_kb = report.read()
    code = launcher.wait()
    seconds = time.perf_counter() - started
    if output:
        output.close()
    if code != 0:
        tail = "\n".join(log.read_text().splitlines()[-30:]) if log else ""
        raise SystemExit(f"{' '.join(command[:3])} failed with exit code {code}\n{tail}")
    return seconds, int(peak_kb) * 1024


@dataclass
class Run:
    """One `python -m dagster_project.run`: its wall time, peak memory and time per stage."""

    label: str
    wall_s: float
    peak_bytes: int
    run_id: str = ""  # the first Dagster run it made (the asset graph's)
    run_ids: list[str] = field(default_factory=list)  # every Dagster run it made
    stages: dict[str, float] = field(default_factory=dict)
    other_steps: dict[str, float] = field(default_factory=dict)
    dbt_elapsed_s: float | None = None  # dbt's own run, from run_results.json (None: no dbt build)
    rows_read: int = 0  # rows of the files this run loaded
    files_loaded: int = 0


def stage_of(step_key: str) -> str | None:
    return next((stage for stage, keys in STAGES if any(k in step_key for k in keys)), None)


def dbt_run_results(run_id: str, workdir: Path) -> dict | None:
    """dbt's run_results.json of this run: dagster-dbt writes it to a folder named after the asset
    and the run id's first 7 characters, under dbt/target (or the warehouse's folder)."""
    for root in (DBT_PROJECT_DIR / "target", workdir):
        for path in root.glob(f"**/*{run_id[:7]}*/run_results.json"):
            return json.loads(path.read_text())
    return None


def remove_dbt_target(run_id: str) -> None:
    """The run's dbt target folder, once read: runs of the benchmark leave nothing in dbt/target."""
    for folder in (DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*"):
        shutil.rmtree(folder, ignore_errors=True)


def read_stages(run: Run, home: Path, warehouse: Path, workdir: Path, known_runs: set[str]) -> None:
    """Fill in the run's stages from its Dagster event log (step start and end times) and dbt's
    run_results.json. Of the dbt step's wall time, dbt's own elapsed time is split into models and
    tests by the ratio of their summed execution times (they run on parallel threads); the rest of
    the step (dbt's start-up, parse and end, the asset's bookkeeping around it) is a row of its own."""
    import dagster as dg  # here: only the runs' processes pay for it in their measured figures

    # One `python -m dagster_project.run` makes one run of the asset graph, and may make more (the
    # daily history's run): every run this one added to the instance counts, oldest first.
    steps: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(home)) as instance:
        new_runs = [r for r in reversed(instance.get_runs()) if r.run_id not in known_runs]
        run.run_ids = [r.run_id for r in new_runs]
        run.run_id = run.run_ids[0]
        for dagster_run in new_runs:
            for s in instance.get_run_step_stats(dagster_run.run_id):
                if s.start_time and s.end_time:
                    steps[s.step_key] = steps.get(s.step_key, 0.0) + s.end_time - s.start_time
    run.stages = dict.fromkeys(ROWS, 0.0)
    dbt_step_s = 0.0
    for key, seconds in steps.items():
        stage = stage_of(key)
        if stage == "dbt":
            dbt_step_s += seconds
        elif stage:
            run.stages[stage] += seconds
        else:
            run.other_steps[key] = seconds
            run.stages["other steps"] += seconds
    results = next(filter(None, (dbt_run_results(i, workdir) for i in run.run_ids)), None)
    if results and dbt_step_s:
        by_kind = {"model": 0.0, "test": 0.0}
        for result in results["results"]:
            kind = result["unique_id"].split(".")[0]
            if kind in by_kind:
                by_kind[kind] += result.get("execution_time") or 0.0
        total = sum(by_kind.values()) or 1.0
        run.dbt_elapsed_s = min(results.get("elapsed_time") or 0.0, dbt_step_s)
        run.stages["dbt models"] = run.dbt_elapsed_s * by_kind["model"] / total
        run.stages["dbt tests"] = run.dbt_elapsed_s * by_kind["test"] / total
        run.stages["dbt start-up, parse, end"] = dbt_step_s - run.dbt_elapsed_s
    else:  # the build was skipped (nothing changed): the step's time is the skip's
        run.stages["dbt start-up, parse, end"] = dbt_step_s
    for run_id in run.run_ids:
        remove_dbt_target(run_id)
    run.stages["start-up/Dagster"] = run.wall_s - sum(steps.values())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        run.files_loaded, run.rows_read = con.execute(
            "select count(*), coalesce(sum(rows_read), 0) from raw.loaded_files where list_contains(?, run_id)",
            [run.run_ids],
        ).fetchone()


def pipeline_run(label: str, workdir: Path, env: dict, known_runs: set[str]) -> Run:
    """One `python -m dagster_project.run`, measured; `known_runs`: the Dagster runs made before it."""
    log = workdir / f"run-{label[1]}.log"
    wall_s, peak = run_measured([sys.executable, "-m", "dagster_project.run"], log, cwd=REPO_ROOT, env=env)
    run = Run(label, wall_s, peak)
    read_stages(run, Path(env["DAGSTER_HOME"]), Path(env["SALES_WAREHOUSE"]), workdir, known_runs)
    known_runs.update(run.run_ids)
    return run


def reference_run(files: list[Path], out: Path) -> tuple[float, int]:
    command = [sys.executable, "-c", REFERENCE_RUNNER, str(REFERENCE_SQL), str(out), *map(str, files)]
    return run_measured(command)


def compare(reference: Path, marts: Path) -> dict[str, tuple[int, int]]:
    """Per dimension: (rows that differ, rows compared) between (d) and marts.metric_values. A row
    missing on one side counts as zero: (d) has no rows for months without members."""
    with duckdb.connect() as con:
        rows = con.execute(
            f"""
            select coalesce(p.dimension, r.dimension) as dimension,
                   count(*) filter (
                       abs(coalesce(p.numerator, 0) - coalesce(r.numerator, 0))
                           > {TOLERANCE} * greatest(1, abs(p.numerator))
                       or abs(coalesce(p.denominator, 0) - coalesce(r.denominator, 0))
                           > {TOLERANCE} * greatest(1, abs(p.denominator))) as differ,
                   count(*) as compared
            from read_parquet('{marts}') p
            full join read_parquet('{reference}') r
              on p.metric = r.metric and p.period_start = r.period_start
             and p.dimension = r.dimension and p.dimension_value is not distinct from r.dimension_value
            group by 1 order by 1"""
        ).fetchall()
    return {dimension: (differ, compared) for dimension, differ, compared in rows}


def save_marts(warehouse: Path, out: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(f"copy (select * from marts.metric_values) to '{out}' (format parquet)")


def agreement_line(label: str, result: dict[str, tuple[int, int]]) -> str:
    differ, compared = result.get("all", (0, 0))
    every = sum(d for d, _ in result.values()), sum(c for _, c in result.values())
    verdict = "agree" if differ == 0 else "DIFFER"
    return (f"{label}: {verdict}: overall slice {compared - differ:,} of {compared:,} rows equal; "
            f"all slices {every[1] - every[0]:,} of {every[1]:,}")  # fmt: skip


def table(runs: list[Run]) -> list[str]:
    """The Markdown table of the three runs, a column each."""
    lines = ["| stage | " + " | ".join(r.label for r in runs) + " |", "|---|" + "---:|" * len(runs)]
    for row in ROWS:
        lines.append(f"| {row} | " + " | ".join(f"{r.stages[row]:.1f} s" for r in runs) + " |")
    lines.append("| **total (wall)** | " + " | ".join(f"**{r.wall_s:.1f} s**" for r in runs) + " |")
    lines.append("| peak memory (largest process) | " + " | ".join(f"{r.peak_bytes / GIB:.2f} GiB" for r in runs) + " |")  # fmt: skip
    lines.append("| rows loaded (files) | " + " | ".join(f"{r.rows_read:,} ({r.files_loaded})" for r in runs) + " |")  # fmt: skip
    return lines


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000, help="about how many events to generate")
    parser.add_argument("--target", choices=TARGETS, default="duckdb", help="the dbt target (docs/scale.md)")
    parser.add_argument(
        "--workdir", type=Path, help="keep everything in this (new) folder, not a temporary one"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sales-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        landing, extra_dir = workdir / "landing", workdir / "next_day"
        home, warehouse = workdir / "dagster_home", workdir / "warehouse" / "warehouse.duckdb"
        for folder in (home, extra_dir, warehouse.parent):
            folder.mkdir(parents=True)
        shutil.copy(REPO_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")

        # The events, as the generator writes them (its own process, so its memory is its own).
        contacts = max(1, round(args.events / EVENTS_PER_CONTACT))
        generate_s, _ = run_measured([sys.executable, "-m", "dagster_project.demo", "--out", str(landing),
                                      "--contacts", str(contacts), "--seed", "1", "--format", "parquet",
                                      "--dirty", "--quiet"], workdir / "generate.log")  # fmt: skip
        history = sorted(landing.glob("*.parquet"))
        rows = duckdb.sql(f"select count(*) from read_parquet({[str(p) for p in history]})").fetchone()[0]
        print(f"generate: {rows:,} rows ({contacts:,} contacts) in {len(history)} Parquet file(s), "
              f"{sum(p.stat().st_size for p in history) / 1e6:,.0f} MB, {generate_s:.1f} s")  # fmt: skip
        # Named to sort after the history: file order is delivery order for (d) as for the loader.
        extra_file = extra_dir / "sales_events_next_day.parquet"
        day = one_more_day(history, extra_file)
        print(f"one more day: {day['day']}: {day['rows']:,} rows ({day['new']:,} new events of that day, "
              f"{day['late']:,} late events, {day['corrected']:,} corrected events)")  # fmt: skip

        # Every setting at its default but the folders: nothing of the caller's SALES_* leaks in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("SALES_")}
        env.update(DAGSTER_HOME=str(home), SALES_LANDING_DIR=str(landing), SALES_WAREHOUSE=str(warehouse),
                   SALES_LANDING_SETTLE_SECONDS="0", SALES_DBT_TARGET=args.target)  # fmt: skip
        # The project parsed with these runs' vars, as `make` parses it for its own: dbt reuses it.
        parse_s, _ = run_measured([sys.executable, "-m", "dagster_project.parse_dbt"], workdir / "parse.log",
                                  env=env, cwd=REPO_ROOT)  # fmt: skip
        print(f"dbt project parsed for this warehouse (as `make` does, not timed below): {parse_s:.1f} s")
        known_runs: set[str] = set()
        runs = [pipeline_run("(a) full, empty warehouse", workdir, env, known_runs)]
        save_marts(warehouse, workdir / "marts_a.parquet")
        runs.append(pipeline_run("(b) nothing new", workdir, env, known_runs))
        shutil.copy(extra_file, landing / extra_file.name)
        runs.append(pipeline_run("(c) one more day", workdir, env, known_runs))
        save_marts(warehouse, workdir / "marts_c.parquet")
        full, idle, update = runs

        # (d) over the history (the yardstick), then over the history and the day (to check (c)).
        reference_s, reference_peak = reference_run(history, workdir / "reference_a.parquet")
        reference_c_s, _ = reference_run(
            [*history, landing / extra_file.name], workdir / "reference_c.parquet"
        )
        agree_a = compare(workdir / "reference_a.parquet", workdir / "marts_a.parquet")
        agree_c = compare(workdir / "reference_c.parquet", workdir / "marts_c.parquet")

        print(f"\nThe pipeline (`python -m dagster_project.run`, dbt target {args.target}), three runs:\n")
        print("\n".join(table(runs)))
        print("\ndbt models / tests: dbt's own elapsed time (run_results.json) split by the summed execution "
              "times of models and of tests (they run on parallel threads); the rest of the dbt step is "
              "dbt's start-up, parse and end, and the asset's bookkeeping around it. start-up/Dagster: the run's wall "
              "time less its steps (process start, imports, definitions, settings, the printed summary).")  # fmt: skip
        for r in runs:
            if r.other_steps:
                steps = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(r.other_steps.items()))
                print(f"other steps of {r.label[:3]}: {steps}")
        print(f"\n(d) reference (scripts/reference_metrics.sql, every slice, one DuckDB process): "
              f"{reference_s:.1f} s over the history, {reference_c_s:.1f} s with the extra day; "
              f"peak memory {reference_peak / GIB:.2f} GiB")  # fmt: skip
        print(agreement_line("(d) vs the marts after (a)", agree_a))
        print(agreement_line("(d) vs the marts after (c)", agree_c))

        full_margin, day_margin = full.wall_s - idle.wall_s, update.wall_s - idle.wall_s
        peak = max(r.peak_bytes for r in runs)
        print(f"\nmarginal full run (a) - (b): {full_margin:.1f} s = {full_margin / reference_s:.2f}x (d)")
        print(f"marginal one-day update (c) - (b): {day_margin:.1f} s = {day_margin / reference_s:.2f}x (d)")
        targets = [
            (f"marginal full run <= {FULL_RUN_MAX_RATIO:g}x (d)", full_margin <= FULL_RUN_MAX_RATIO * reference_s),
            (f"one-day update marginal <= {DAY_RUN_MAX_RATIO:g}x (d)", day_margin <= DAY_RUN_MAX_RATIO * reference_s),
            (f"(b) nothing new <= {IDLE_RUN_MAX_S:g} s", idle.wall_s <= IDLE_RUN_MAX_S),
            (f"peak memory < {PEAK_MAX_BYTES / GIB:g} GiB ({peak / GIB:.2f} GiB)", peak < PEAK_MAX_BYTES),
        ]  # fmt: skip
        print(f"\nIssue 12's targets (at about 10 million events; this run: {rows:,} rows):")
        for name, ok in targets:
            print(f"  {name}: {verdict(ok)}")

        figures = {
            "rows": rows, "one_more_day": day, "runs": [asdict(r) for r in runs],
            "reference_s": reference_s, "reference_with_day_s": reference_c_s, "reference_peak_bytes": reference_peak,
            "agreement_after_a": agree_a, "agreement_after_c": agree_c,
            "targets": {name: ok for name, ok in targets},
        }  # fmt: skip
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, default=str))
        differ, compared = agree_c.get("all", (0, 0))
        differ_a, compared_a = agree_a.get("all", (0, 0))
        if differ > DISAGREEMENT_FAILS * compared or differ_a > DISAGREEMENT_FAILS * compared_a:
            print("(d) and the marts differ on more than 1% of the overall slice: the ratios compare "
                  "different computations.", file=sys.stderr)  # fmt: skip
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
