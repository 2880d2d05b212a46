"""How good the forecast and the alerts are: the backtest error per month ahead and the false-alarm
rate, read from a built warehouse; and the figures of docs/decisions.md, measured on demo data.

    python -m dagster_project.lib.planning.evaluation --out /tmp/eval              # the docs' figures
    python -m dagster_project.lib.planning.evaluation --warehouse data/warehouse.duckdb  # any warehouse

The first writes demo data (`dagster_project.demo`, clean), loads it with the real loader and
builds the dbt models with as_of at the end of the data; then both print markdown tables.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

from dagster_project.lib.ingestion.loader import load_landing_dir
from dagster_project.lib.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")

BACKTEST_SQL = """
select
    months_ahead,
    count(*) as forecasts,
    avg(expected_new_customers) as mean_forecast,
    avg(actual_new_customers) as mean_actual,
    avg(abs(expected_new_customers - actual_new_customers)) as mean_abs_error,
    sum(abs(expected_new_customers - actual_new_customers)) / nullif(sum(actual_new_customers), 0)
        as relative_abs_error,
    avg(expected_new_customers - actual_new_customers) as bias,
    avg(case when actual_new_customers between low and high then 1.0 else 0.0 end) as interval_coverage
from marts.forecast_backtest
where dimension = ?
group by months_ahead
order by months_ahead
"""
BACKTEST_COLUMNS = ["months ahead", "forecasts", "mean forecast", "mean actual", "mean abs error",
                    "abs error / actual", "bias", "80% interval coverage"]  # fmt: skip


def backtest_errors(con: duckdb.DuckDBPyConnection, dimension: str = "all") -> list[tuple]:
    """Per month ahead: how many (origin, slice) forecasts, their mean, the mean of what happened,
    the mean absolute error, the absolute error over the actuals, the bias (forecast - actual) and
    the share of actuals inside the 80% interval."""
    return con.execute(BACKTEST_SQL, [dimension]).fetchall()


def alert_counts(con: duckdb.DuckDBPyConnection, from_month: str) -> dict[str, float]:
    """Alerts of months >= from_month over every metric and slice: how many, over how many months
    and how many (metric, month, slice) series values could be tested, and alerts per month."""
    months, values = con.execute(
        "select count(distinct period_start), count(*) from intermediate.int_alert_series"
        " where period_start >= cast(? as date) and value is not null",
        [from_month],
    ).fetchone()
    alerts, overall = con.execute(
        "select count(*), count(*) filter (where dimension = 'all') from marts.metric_alerts"
        " where period_start >= cast(? as date)",
        [from_month],
    ).fetchone()
    return {
        "months": months,
        "values_tested": values,
        "alerts": alerts,
        "overall_alerts": overall,
        "alerts_per_month": alerts / months if months else float("nan"),
    }


def markdown(columns: list[str], rows: list[tuple]) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def load_and_build(
    landing_dir: Path, warehouse: Path, as_of: datetime | None, select: str, command: str = "run"
) -> None:
    """Load the landing files with the real loader, then `dbt <command> --select <select>` on the
    warehouse (unit tests excluded), its target and logs beside the warehouse."""
    results = load_landing_dir(landing_dir, warehouse)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"load failed: {failed}")
    variables = {"warehouse": str(warehouse)}
    if as_of is not None:
        variables["as_of"] = as_of.isoformat(sep=" ")
    skip_unit_tests = ["--exclude-resource-type", "unit_test"] if command == "build" else []
    done = subprocess.run(
        [DBT, command, "--select", select, *skip_unit_tests, "--vars", json.dumps(variables),
         "--profiles-dir", ".", "--target-path", str(warehouse.parent / "target"),
         "--log-path", str(warehouse.parent / "logs")],
        cwd=DBT_PROJECT_DIR, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"dbt {command} failed:\n{(done.stdout + done.stderr)[-4000:]}")


def report(warehouse: Path, alerts_from: str | None) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        parts = []
        for dimension in ("all", "lead_source"):
            parts.append(
                f"Backtest, dimension {dimension}:\n\n"
                + markdown(BACKTEST_COLUMNS, backtest_errors(con, dimension))
            )
        if alerts_from:
            counts = alert_counts(con, alerts_from)
            parts.append("Alerts from " + alerts_from + ": " + json.dumps(counts))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--warehouse", type=Path, help="summarize this built warehouse")
    parser.add_argument("--out", type=Path, help="folder for demo data and a warehouse built from it")
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alerts-from", help="count alerts of months from this one (YYYY-MM-01)")
    args = parser.parse_args(argv)
    if args.out:
        from dagster_project.demo import generate  # the generator loads numpy and pyarrow

        summary = generate(
            args.out / "landing", args.contacts, args.seed, "parquet", False, months=args.months
        )
        as_of = datetime.fromisoformat(summary["end"])
        load_and_build(args.out / "landing", args.out / "warehouse.duckdb", as_of, "+path:models/planning")
        warehouse = args.out / "warehouse.duckdb"
        print(f"Demo data {summary['start']} to {summary['end']} ({args.contacts} contacts), as_of {as_of}")
    elif args.warehouse:
        warehouse = args.warehouse
    else:
        parser.error("give --out or --warehouse")
    print(report(warehouse, args.alerts_from))


if __name__ == "__main__":
    main()
