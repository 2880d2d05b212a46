"""The targets in the warehouse: `raw.sales_targets` (accepted) and `raw.refused_targets` (refused,
with line number and reason). Both are replaced as a whole on every load, in one transaction: the
file is the truth, so a target deleted from it is gone from the plan at the next run."""

from __future__ import annotations

from datetime import datetime

import duckdb

from .targets import TargetsFile

TARGETS_DDL = """
create schema if not exists raw;

create table if not exists raw.sales_targets (
    period_start     date not null,
    period_end       date not null,
    measure          varchar not null,
    dimension        varchar not null,
    dimension_value  varchar,
    target           double not null,
    line_number      bigint not null,
    source_file      varchar not null,
    loaded_at        timestamp not null
);

create table if not exists raw.refused_targets (
    line_number  bigint not null,
    raw_line     varchar not null,
    reason       varchar not null,
    source_file  varchar not null,
    loaded_at    timestamp not null
);
"""


def ensure_targets_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(TARGETS_DDL)


def store_targets(con: duckdb.DuckDBPyConnection, parsed: TargetsFile, loaded_at: datetime) -> None:
    """Replace both tables with the accepted and refused lines of one read of the targets file."""
    ensure_targets_schema(con)
    con.begin()
    try:
        con.execute("delete from raw.sales_targets")
        con.execute("delete from raw.refused_targets")
        if parsed.targets:
            con.executemany(
                "insert into raw.sales_targets values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    [t.period_start, t.period_end, t.measure, t.dimension, t.dimension_value, t.target,
                     t.line_number, parsed.source_file, loaded_at]
                    for t in parsed.targets
                ],
            )  # fmt: skip
        if parsed.refused:
            con.executemany(
                "insert into raw.refused_targets values (?, ?, ?, ?, ?)",
                [
                    [r.line_number, r.raw_line, r.reason, parsed.source_file, loaded_at]
                    for r in parsed.refused
                ],
            )
        con.commit()
    except Exception:
        con.rollback()
        raise
