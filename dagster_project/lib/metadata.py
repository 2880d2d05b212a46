"""What assets and checks show in the Dagster UI: row counts, previews, check results as metadata.

Plain values in, `dg.MetadataValue`s out, so the definitions under defs/ stay a few lines each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.lib.sql import quote_identifier
from data_quality.data_docs import INDEX

if TYPE_CHECKING:  # pandas loads with the checks' frames, not with the definitions
    import pandas as pd


def table_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str, preview_rows: int = 10) -> dict:
    """Row count (of a table, not of a view), column types and a markdown preview of a relation, for
    a materialization's metadata."""
    relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
    found = con.execute(
        "select table_type from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    if found is None:
        raise duckdb.CatalogException(f"{relation} does not exist")
    columns = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    preview = con.execute(f"select * from {relation} limit {int(preview_rows)}").df()
    # A table's count is read from its storage; a view's would run its whole query, so a view shows
    # no row count.
    row_count = None if found[0] == "VIEW" else con.execute(f"select count(*) from {relation}").fetchone()[0]
    return _relation_metadata(columns, preview, row_count)


# The line dbt logs for each model it builds (dbt/macros/table_metadata.sql): this prefix, then JSON.
DBT_TABLE_METADATA_PREFIX = "dagster table metadata: "


def dbt_table_metadata(message: str) -> tuple[tuple[str, str], dict] | None:
    """The relation (schema, table) and the metadata of a model that dbt just built, from the line
    its post-hook logged; None for any other line. dagster-dbt's own `fetch_row_counts()` would open
    the DuckDB file while the dbt process holds it, which DuckDB refuses."""
    if not message.startswith(DBT_TABLE_METADATA_PREFIX):
        return None
    import pandas as pd  # with the first model built, not when Dagster loads the definitions

    report = json.loads(message[len(DBT_TABLE_METADATA_PREFIX) :])
    preview = pd.DataFrame(report["preview"], columns=report["columns"])
    columns = list(zip(report["columns"], report["types"], strict=True))
    return tuple(report["relation"]), _relation_metadata(columns, preview, report.get("row_count"))


def _relation_metadata(columns: list[tuple[str, str]], preview: pd.DataFrame, row_count: int | None) -> dict:
    metadata = {} if row_count is None else {"dagster/row_count": dg.MetadataValue.int(int(row_count))}
    return {
        **metadata,
        "dagster/column_schema": dg.MetadataValue.table_schema(
            dg.TableSchema(columns=[dg.TableColumn(name, data_type) for name, data_type in columns])
        ),
        "preview": dg.MetadataValue.md(preview.to_markdown(index=False) if len(preview) else "_empty_"),
    }


MARKDOWN_ROWS = 20  # rows of an aggregate or a sample shown in metadata


def _markdown(frame: pd.DataFrame) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame.head(MARKDOWN_ROWS)
    more = f"\n\n_{len(frame) - MARKDOWN_ROWS} more rows_" if len(frame) > MARKDOWN_ROWS else ""
    return dg.MetadataValue.md(shown.to_markdown(index=False) + more)


def _number(value) -> dg.MetadataValue | None:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return dg.MetadataValue.int(value) if isinstance(value, int) else dg.MetadataValue.float(value)


def _failures_table(outcome) -> str:
    lines = [
        "| expectation | column | rule | unexpected | affected rows | unexpected aggregate rows (sample) |",
        "|---|---|---|---|---|---|",
    ]
    for f in outcome.failures:
        unexpected = f.error or (
            f"{f.unexpected_count} of {f.element_count}"
            if f.unexpected_count is not None
            else f"observed {f.observed_value}"
        )
        sample = "<br>".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in f.unexpected_rows)
        cells = [f.description, f.column or "", f.rule, unexpected, f.affected_rows, sample]
        lines.append(
            "| " + " | ".join(str(c if c is not None else "").replace("|", "\\|") for c in cells) + " |"
        )
    return "\n".join(lines)


def check_metadata(outcome, docs_dir: Path | None) -> dict[str, dg.MetadataValue]:
    """What a person needs to act: which expectations failed, how many rows, samples, where the docs are."""
    metadata: dict[str, dg.MetadataValue] = {"summary": dg.MetadataValue.text(outcome.summary)}
    if outcome.note:
        metadata["note"] = dg.MetadataValue.text(outcome.note)
    if outcome.evaluated:
        failed = len(outcome.failures)
        metadata["expectations"] = dg.MetadataValue.text(f"{failed} of {outcome.evaluated} failed")
    if outcome.failures:
        metadata["failed_expectations"] = dg.MetadataValue.md(_failures_table(outcome))
        metadata["unexpected_count"] = dg.MetadataValue.int(outcome.unexpected_count)
        if outcome.affected_rows is not None:
            metadata["affected_rows"] = dg.MetadataValue.int(outcome.affected_rows)
    if outcome.frame is not None:
        if len(outcome.frame) == 1:  # a one-row aggregate: its figures, e.g. reject_share
            for column, value in outcome.frame.iloc[0].items():
                number = _number(value)
                if number is not None:
                    metadata[str(column)] = number
        metadata["aggregate"] = _markdown(outcome.frame)
    for name, sample in outcome.samples.items():
        metadata[name] = _markdown(sample)
    if outcome.data_docs_page:
        metadata["data_docs_page"] = dg.MetadataValue.path(str(outcome.data_docs_page))
    if docs_dir is not None:
        metadata["data_docs_index"] = dg.MetadataValue.path(str(docs_dir.resolve() / INDEX))
    return metadata


def files_markdown(results) -> dg.MetadataValue:
    """The files an ingestion loaded or failed, and those it would not read (a link out of the folder,
    a file still being written), as a markdown table; those already loaded are left out."""
    lines = ["| file | status | read | accepted | rejected | error |", "|---|---|---|---|---|---|"]
    for r in results:
        if r.status != "skipped" or r.error:
            error = (r.error or "").splitlines()[0][:120] if r.error else ""
            lines.append(
                f"| {r.source_file} | {r.status} | {r.rows_read} | {r.rows_accepted} | {r.rows_rejected} | {error} |"
            )
    return dg.MetadataValue.md("\n".join(lines) if len(lines) > 2 else "_no new files_")


def holds_markdown(holds) -> dg.MetadataValue:
    """The loads held out of the marts, with how to resolve each."""
    if not holds:
        return dg.MetadataValue.md("_no load is held_")
    lines = ["| load | file | held since (UTC) | why |", "|---|---|---|---|"]
    lines += [f"| {h.load_id} | {h.source_file} | {h.held_at:%Y-%m-%d %H:%M} | {h.reason} |" for h in holds]
    return dg.MetadataValue.md(
        "\n".join(lines) + "\n\nRelease one: `python -m dagster_project.holds release LOAD_ID`"
    )
