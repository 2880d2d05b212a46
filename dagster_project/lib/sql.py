"""SQL text helpers shared by every module that writes SQL for DuckDB: quoting and catalogue look-ups.

Data never reaches SQL through these (values are bound parameters); they quote names and constant
vocabularies.
"""

from __future__ import annotations

import duckdb


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_list(values: list[str] | tuple[str, ...]) -> str:
    """A SQL list literal of constant vocabulary values (never data)."""
    return ", ".join(quote_literal(v) for v in values)


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    sql = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    return con.execute(sql, [schema, table]).fetchone()[0] > 0
