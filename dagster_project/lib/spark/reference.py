"""Small raw tables the models read besides the events, handed to Spark as Parquet before a build.

The events reach Spark through the lake (lib/ingestion/lake.py). Other raw tables live only in the
DuckDB warehouse: the targets (raw.sales_targets, replaced at every run from SALES_TARGETS_FILE)
are one of them. Before a Spark build each is written whole to
`<spark dir>/reference/<table>/part-0.parquet` (a temporary name, then a rename) and the dbt var
`reference_tables` tells macros/raw_source.sql which exist, so Spark declares `raw.<table>` over the
file, or leaves it out as DuckDB would (a warehouse without targets plans without them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from dagster_project.lib.sql import has_table, quote_identifier, quote_literal

REFERENCE_TABLES = ("sales_targets",)


def export_reference_tables(warehouse: Path, spark_dir: Path) -> dict[str, bool]:
    """Write each reference table the warehouse has; remove the file of one it no longer has.
    Returns {table: exported} for the var `reference_tables`."""
    exported = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table in REFERENCE_TABLES:
            folder = spark_dir / "reference" / table
            exported[table] = has_table(con, "raw", table)
            if not exported[table]:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            folder.mkdir(parents=True, exist_ok=True)
            partial, target = folder / ".part-0.parquet.inprogress", folder / "part-0.parquet"
            con.execute(
                f"copy (select * from raw.{quote_identifier(table)}) to {quote_literal(str(partial))} (format parquet)"
            )
            os.replace(partial, target)
    return exported
