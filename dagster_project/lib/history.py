"""A daily history of the published metric values (docs/metrics.md, "History").

`history.metric_values_daily` keeps, for each day D, `marts.metric_values` as the pipeline would have
published it at the end of D: with the events that occurred by then, `as_of` = the latest of them
(the rule a live run uses), so a month's value can be followed day by day as its cohorts mature.

A day is written in one of two ways, with the same result:
- copied from `marts.metric_values` when the warehouse's last complete build is a live build (no
  `SALES_AS_OF`) whose as_of falls on D: the normal case, right after a daily run;
- recomputed otherwise (a backfill of a past day): dbt runs the models up to `metric_values` with that
  as_of into scratch schemas of the same warehouse (`<schema>__history`), whose result is copied in
  and which are then dropped. The live marts are never touched.

Either way the day's rows replace what the table held for D, in one transaction.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb

from dagster_project.lib.dbt_build import MARKER_TABLE
from dagster_project.lib.settings import DBT_PROJECT_DIR
from dagster_project.lib.sql import has_table, quote_identifier

TABLE = "history.metric_values_daily"
SCRATCH_SUFFIX = "__history"  # dbt's schemas for a recompute: staging__history, marts__history, ...
_DDL = f"""
create schema if not exists history;
create table if not exists {TABLE} (
    as_of_date date not null, as_of timestamp not null, metric varchar not null,
    period_start date not null, dimension varchar not null, dimension_value varchar,
    numerator double, denominator double, value double,
    how varchar not null, recorded_at timestamp not null
)"""
_COLUMNS = "metric, period_start, dimension, dimension_value, numerator, denominator, value"


@dataclass(frozen=True)
class DaySnapshot:
    day: date
    as_of: datetime | None  # None: no event occurred by the end of the day
    rows: int
    how: str  # copied | recomputed | empty


def day_as_of(con: duckdb.DuckDBPyConnection, day: date) -> datetime | None:
    """The as_of of day D: the latest staged occurred_at before D's end (None if there is none)."""
    end = datetime.combine(day + timedelta(days=1), time.min)
    return con.execute(
        "select max(occurred_at) from staging.stg_sales_events where occurred_at < ?", [end]
    ).fetchone()[0]


def _live_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as_of of the marts when they are a complete live build (no as_of var), else None."""
    if not has_table(con, "pipeline", "complete_build") or not has_table(con, "intermediate", "int_as_of"):
        return None
    marker = con.execute(f"select vars from {MARKER_TABLE}").fetchone()
    if marker is None or "as_of" in json.loads(marker[0]):
        return None
    return con.execute("select as_of from intermediate.int_as_of").fetchone()[0]


def live_as_of_day(warehouse: Path) -> date | None:
    """The day of the live build's as_of (the partition a run just made copyable), or None."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        live = _live_as_of(con)
    return live.date() if live else None


def record_day(warehouse: Path, day: date, dbt_vars: dict[str, str], log=print) -> DaySnapshot:
    """Write day D's metric values into the history (replacing what it held for D)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        as_of = day_as_of(con, day)
        live = _live_as_of(con)
    if as_of is None:
        return _replace_day(warehouse, day, None, None, "empty")
    if live == as_of:
        return _replace_day(warehouse, day, as_of, "marts.metric_values", "copied")
    log(f"History {day}: recomputing the metric values as of {as_of} (dbt, scratch schemas)")
    _run_dbt_as_of(as_of, dbt_vars)
    try:
        return _replace_day(warehouse, day, as_of, f"marts{SCRATCH_SUFFIX}.metric_values", "recomputed")
    finally:
        drop_scratch_schemas(warehouse)


def _run_dbt_as_of(as_of: datetime, dbt_vars: dict[str, str]) -> None:
    variables = {**dbt_vars, "as_of": as_of.isoformat(sep=" "), "schema_suffix": SCRATCH_SUFFIX}
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [dbt, "run", "--quiet", "--full-refresh", "--select", "+metric_values",
               "--profiles-dir", ".", "--target", "duckdb", "--target-path", "target/history",
               "--vars", json.dumps(variables)]  # fmt: skip
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dbt could not recompute the metric values as of {as_of}:\n{done.stdout[-3000:]}")


def drop_scratch_schemas(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        schemas = con.execute(
            "select schema_name from information_schema.schemata where schema_name like ?",
            [f"%{SCRATCH_SUFFIX}"],
        ).fetchall()
        for (schema,) in schemas:
            con.execute(f"drop schema {quote_identifier(schema)} cascade")


def _replace_day(warehouse: Path, day: date, as_of, source: str | None, how: str) -> DaySnapshot:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(_DDL)
        con.execute("begin transaction")
        con.execute(f"delete from {TABLE} where as_of_date = ?", [day])
        rows = 0
        if source is not None:
            rows = con.execute(
                f"insert into {TABLE} select ?, ?, {_COLUMNS}, ?, now()::timestamp from {source}",
                [day, as_of, how],
            ).fetchone()[0]
        con.execute("commit")
    return DaySnapshot(day, as_of, rows, how)


def days_kept(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_table(con, "history", "metric_values_daily"):
            return 0
        return con.execute(f"select count(distinct as_of_date) from {TABLE}").fetchone()[0]


def day_preview(warehouse: Path, day: date):
    """The day's overall values of its latest month (a DataFrame), for the asset's metadata."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            f"select metric, period_start, value, denominator from {TABLE}"
            " where as_of_date = ? and dimension = 'all'"
            f" and period_start = (select max(period_start) from {TABLE} where as_of_date = ?)"
            " order by metric",
            [day, day],
        ).df()
