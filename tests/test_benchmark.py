"""scripts/benchmark.py at a small N, once: it works end to end and its figures are consistent.

No timing is asserted (figures only): what must hold is that every stage is printed, the stages add
up to each run's wall time, each run loaded what it should, the extra day holds new, late and
corrected events, and the hand-written SQL of scripts/reference_metrics.sql computes the same ten
metrics as the pipeline's marts, after the full run and after the one-day update.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import benchmark  # noqa: E402

EVENTS = 20_000
RUN_LABELS = ["(a) full, empty warehouse", "(b) nothing new", "(c) one more day"]


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench") / "work"
    figures = workdir.parent / "figures.json"
    done = subprocess.run(
        [sys.executable, str(Path(benchmark.__file__)), "--events", str(EVENTS), "--workdir", str(workdir),
         "--json", str(figures)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout, json.loads(figures.read_text()), workdir


def test_every_stage_and_target_is_printed(bench):
    out, _, _ = bench
    header = next(line for line in out.splitlines() if line.startswith("| stage |"))
    assert header == "| stage | " + " | ".join(RUN_LABELS) + " |"
    for row in [*benchmark.ROWS, "**total (wall)**", "peak memory (largest process)", "rows loaded (files)"]:
        cells = next(line for line in out.splitlines() if line.startswith(f"| {row} |")).split("|")[2:-1]
        assert len(cells) == 3 and all(cell.strip() for cell in cells), row
    for line in ("marginal full run (a) - (b):", "marginal one-day update (c) - (b):", "(d) reference"):
        assert line in out
    for target in ("marginal full run <= 3x (d): ", "one-day update marginal <= 0.5x (d): ",
                   "(b) nothing new <= 10 s: ", "peak memory < 3 GiB"):  # fmt: skip
        assert any(
            line.strip().startswith(target) and line.rstrip().endswith("met") for line in out.splitlines()
        )


def test_stages_add_up_and_each_run_loaded_what_it_should(bench):
    _, figures, workdir = bench
    full, idle, update = figures["runs"]
    assert [r["label"] for r in figures["runs"]] == RUN_LABELS
    for run in figures["runs"]:
        assert list(run["stages"]) == benchmark.ROWS  # every stage has its row in the printed table
        assert sum(run["stages"].values()) == pytest.approx(run["wall_s"])
        assert all(seconds >= 0 for seconds in run["stages"].values()), run["stages"]
        assert 0 < run["peak_bytes"] < 64 * 2**30
    history = sorted((workdir / "landing").glob("sales_events_0*.parquet"))
    assert (
        full["rows_read"]
        == figures["rows"]
        == duckdb.sql(f"select count(*) from read_parquet({[str(p) for p in history]})").fetchone()[0]
    )
    assert (full["files_loaded"], idle["files_loaded"], idle["rows_read"]) == (len(history), 0, 0)
    # (c) loaded exactly the extra day's file
    assert (update["files_loaded"], update["rows_read"]) == (1, figures["one_more_day"]["rows"])
    assert full["dbt_elapsed_s"] is not None and update["dbt_elapsed_s"] is not None
    assert not list((benchmark.DBT_PROJECT_DIR / "target").glob(f"*-{update['run_id'][:7]}-*"))


def test_the_reference_agrees_with_the_marts_on_every_slice(bench):
    _, figures, _ = bench
    for key in ("agreement_after_a", "agreement_after_c"):
        agreement = figures[key]
        assert set(agreement) == {"all", "rep_id", "lead_source"}
        assert all(differ == 0 and compared > 0 for differ, compared in agreement.values()), agreement
    # The update moved the metrics (a new month, new as_of), so agreeing after (c) says something.
    assert figures["agreement_after_c"]["all"][1] > figures["agreement_after_a"]["all"][1]


def test_the_comparison_sees_one_changed_number(bench, tmp_path):
    _, _, workdir = bench
    changed = tmp_path / "marts.parquet"
    duckdb.sql(
        f"""copy (select * replace (case when row_number() over (order by metric, period_start) = 1
                                         then numerator + 1 else numerator end as numerator)
                  from read_parquet('{workdir / "marts_c.parquet"}') where dimension = 'all'
                  union all
                  select * from read_parquet('{workdir / "marts_c.parquet"}') where dimension <> 'all')
            to '{changed}' (format parquet)"""
    )
    result = benchmark.compare(workdir / "reference_c.parquet", changed)
    assert result["all"][0] == 1 and result["rep_id"][0] == 0


def test_one_more_day_holds_new_late_and_corrected_events(bench):
    _, figures, workdir = bench
    day = figures["one_more_day"]
    assert min(day["new"], day["late"], day["corrected"]) > 0
    history = [str(p) for p in sorted((workdir / "landing").glob("sales_events_0*.parquet"))]
    extra = str(workdir / "next_day" / "sales_events_next_day.parquet")
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    ts = "timezone('UTC', try_cast({} as timestamptz))"
    latest = con.execute(
        f"select max({ts.format('occurred_at')})::date from read_parquet(?)", [history]
    ).fetchone()[0]
    assert day["day"] == str(latest + dt.timedelta(days=1))
    counts = con.execute(
        f"""select count(*) filter ((event_id like 'next-%' or event_id is null)
                                   and {ts.format("occurred_at")}::date = ?::date),
                   count(*) filter (event_id like 'late-%' and {ts.format("occurred_at")}::date < ?::date - 1),
                   count(*) filter (e.event_id in (select event_id from read_parquet(?))
                                    and {ts.format("e.updated_at")} > (
                                        select max(coalesce({ts.format("h.updated_at")}, {ts.format("h.occurred_at")}))
                                        from read_parquet(?) h where h.event_id = e.event_id)),
                   count(*)
            from read_parquet(?) e""",
        [day["day"], day["day"], history, history, extra],
    ).fetchone()
    assert counts == (day["new"], day["late"], day["corrected"], day["rows"])
