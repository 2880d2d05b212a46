"""The raw layer as Parquet files any engine can read: one file per load, written once, never rewritten.

    <lake>/sales_events/load_id=<n>/part-0.parquet

holds the accepted rows of load <n> (the columns of `raw.sales_events`, in row order). A load is
wholly there or absent: the file is written under a hidden temporary name in its folder (Spark and
`read_parquet('<lake>/sales_events/*/*.parquet')` skip it) and renamed when complete. The folder
name is Hive-style, so Spark and DuckDB read `load_id` as a partition column.

The lake exists for the Spark targets, which read the raw layer from it (lib/dbt_target.py); the
DuckDB target reads the warehouse and no lake is written. `sync_lake` writes every loaded load of
the ledger that the lake lacks: after the loader's transactions when the target is Spark (the loads
just made, and any a crash or an older version left out), and in a Spark build's preparation
(`DbtTarget.prepare_build`: the loads made while the target was DuckDB). The lake belongs to one
warehouse, whose ledger numbers the loads: `check_lake` refuses a lake holding loads the ledger does
not know, before the loader loads anything and before a Spark build.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from dagster_project.lib.sql import quote_literal

TABLE = "sales_events"
PART = "part-0.parquet"


class LakeError(RuntimeError):
    """The lake holds loads of another warehouse."""


def default_lake_dir(warehouse: Path) -> Path:
    """Beside the warehouse file: `<data folder>/lake`."""
    return warehouse.parent / "lake"


def load_file_path(lake_dir: Path, load_id: int) -> Path:
    return lake_dir / TABLE / f"load_id={load_id}" / PART


def loads_in_lake(lake_dir: Path) -> set[int]:
    """The load ids whose file is complete (temporary files are not counted)."""
    root = lake_dir / TABLE
    if not root.exists():
        return set()
    return {
        int(folder.name.removeprefix("load_id="))
        for folder in root.glob("load_id=*")
        if (folder / PART).is_file()
    }


def _write_load(con: duckdb.DuckDBPyConnection, lake_dir: Path, load_id: int) -> Path:
    target = load_file_path(lake_dir, load_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{PART}.{os.getpid()}.inprogress")
    # load_id is the folder name (a partition column), so it is not repeated inside the file.
    try:
        con.execute(
            f"copy (select * exclude (load_id) from raw.{TABLE} where load_id = ? order by row_number) "
            f"to {quote_literal(str(partial))} (format parquet, compression zstd)",
            [load_id],
        )
        os.replace(partial, target)  # atomic within one file system: the load appears whole
    finally:
        partial.unlink(missing_ok=True)  # after a failed write: no half file left behind
    return target


def _loaded_ids(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.execute("select load_id from raw.loaded_files where status = 'loaded' order by 1").fetchall()
    return [row[0] for row in rows]


def check_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> None:
    """Refuse a lake holding loads this warehouse never made, before anything is loaded.

    Load ids come from the warehouse's ledger, so such a lake was written by another warehouse
    (or this one was rebuilt): its next loads would collide with the lake's files.
    """
    foreign = sorted(loads_in_lake(lake_dir) - set(_loaded_ids(con)))
    if foreign:
        shown = ", ".join(map(str, foreign[:10])) + (" ..." if len(foreign) > 10 else "")
        raise LakeError(
            f"The lake {lake_dir} holds load(s) {shown} that are not loads of this warehouse's ledger "
            "(raw.loaded_files): it belongs to another warehouse. Set SALES_LAKE_DIR to this "
            "warehouse's own lake or an empty folder. Nothing was loaded."
        )


def sync_lake(con: duckdb.DuckDBPyConnection, lake_dir: Path) -> list[int]:
    """Write every loaded load of the ledger that the lake lacks; return the load ids written."""
    present = loads_in_lake(lake_dir)
    missing = [load_id for load_id in _loaded_ids(con) if load_id not in present]
    for load_id in missing:
        _write_load(con, lake_dir, load_id)
    return missing
