"""Small helpers for reading the DuckDB warehouse from asset bodies (row counts, previews)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str, preview_rows: int = 10) -> dict:
    """Row count and a markdown preview of a table, for an asset's materialization metadata."""
    relation = f'"{schema}"."{table}"'
    row_count = con.execute(f"select count(*) from {relation}").fetchone()[0]
    preview = con.execute(f"select * from {relation} limit {int(preview_rows)}").df()
    return {
        "dagster/row_count": dg.MetadataValue.int(int(row_count)),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "_empty_"),
    }


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)
