"""The models Spark built, seen from the DuckDB warehouse: one view per exported model.

A Spark target (lib/dbt_target.py) leaves each model it built as Parquet files under
`<export dir>/<schema>/<model>/` (dbt/macros/export.sql). Everything downstream of dbt reads the
warehouse file (publishing, the quality checks' aggregates, the row counts in the assets'
metadata), so after a Spark build each of those models becomes a view `<schema>.<model>` of the
warehouse over its files: the readers stay as they are, the rows are Spark's, and the warehouse
holds no copy of them (a table a DuckDB build left under that name is replaced by the view).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.lib.sql import quote_identifier, quote_literal


def exported_models(export_dir: Path) -> dict[tuple[str, str], Path]:
    """(schema, model) -> its folder, for every folder of the export holding Parquet files."""
    if not export_dir.is_dir():
        return {}
    return {
        (folder.parent.name, folder.name): folder
        for folder in sorted(export_dir.glob("*/*"))
        if folder.is_dir() and any(folder.glob("*.parquet"))
    }


def mirror_exported_models(warehouse: Path, export_dir: Path) -> list[str]:
    """Create or replace the view `<schema>.<model>` of every exported model; return their names."""
    models = exported_models(Path(export_dir))
    with duckdb.connect(str(warehouse)) as con:
        kinds = dict(
            ((schema, name), kind)
            for schema, name, kind in con.execute(
                "select table_schema, table_name, table_type from information_schema.tables"
            ).fetchall()
        )
        con.execute("begin transaction")  # readers see all the new views or none
        for (schema, model), folder in models.items():
            relation = f"{quote_identifier(schema)}.{quote_identifier(model)}"
            con.execute(f"create schema if not exists {quote_identifier(schema)}")
            if kinds.get((schema, model)) == "BASE TABLE":
                con.execute(f"drop table {relation}")
            con.execute(
                f"create or replace view {relation} as "
                f"select * from read_parquet({quote_literal(str(folder.absolute() / '*.parquet'))})"
            )
        con.execute("commit")
    return [f"{schema}.{model}" for schema, model in models]
