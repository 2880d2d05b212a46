"""The loader's one validation pass (docs/contract.md, "Bad input"): a file's records, typed and
checked in one SQL query, each with its rejection reason ('' when accepted).

A file reaches the query as a `Source`: a relation DuckDB reads, the SQL of each canonical column's
value there and its type. Text is trimmed, blank means absent, and parsed once. A column already
typed in the file (a Parquet TIMESTAMP `occurred_at`, a DOUBLE `amount`, a BOOLEAN `is_valid`) is
taken as it is: it never becomes text and is parsed back. `raw_record` is built only where it is
kept: the whole record for a rejected row, the columns the pipeline does not know (as JSON, null
when there are none) for an accepted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.lib.sql import quote_identifier, quote_literal, sql_list
from dagster_project.lib.vocabulary import (
    CALL_OUTCOMES,
    CANONICAL_COLUMNS,
    DIRECTIONS,
    EVENT_TYPES,
    MEETING_OUTCOMES,
    PURPOSES,
    REQUIRED_BY_TYPE,
)

from .plausible_time import implausible_time_sql

TIME_COLUMNS = ("occurred_at", "updated_at")
# DuckDB types taken as they are for the typed columns; any other type is read as its text.
NATIVE_TIMES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
NATIVE_NUMBERS = {"DOUBLE", "FLOAT", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}  # fmt: skip
# The plain UTC shape every CRM export writes: the cheap timestamp cast reads it exactly as the
# time-zone-aware cast does, which any other form (an offset, a zone name) still goes through.
PLAIN_UTC_SHAPE = "____-__-__T__:__:__Z"


@dataclass(frozen=True)
class Source:
    """One file as the validation pass reads it.

    relation: the FROM item (with `params` bound); row_number: the SQL of a record's position in its
    file; columns: each canonical column the file has -> (the SQL of its value, its DuckDB type);
    kept: the SQL of the values `record` and `extras` are made of, which refer to them as _r0, _r1 ...;
    record: the whole record as text (kept for a rejected row); extras: the unknown columns as JSON
    text, null when there are none or all are null (kept for an accepted row).
    """

    relation: str
    row_number: str
    columns: dict[str, tuple[str, str]]
    kept: list[str]
    record: str
    extras: str = "cast(null as varchar)"
    parse_error: str = "cast(null as varchar)"
    params: list = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # the header of a CSV or Parquet file


def tabular_source(relation: str, row_number: str, header: list[tuple[str, str]], params=None) -> Source:
    """A CSV or Parquet file read as `relation` aliased `f`: its header's (name, DuckDB type), matched
    to the canonical columns case-insensitively."""
    by_name = {name.lower(): i for i, (name, _) in enumerate(header)}
    chosen = {c: by_name[c] for c in CANONICAL_COLUMNS if c in by_name}
    extras = [i for i in range(len(header)) if i not in chosen.values()]
    return Source(
        relation=relation,
        row_number=row_number,
        columns={c: (f"f.{quote_identifier(header[i][0])}", header[i][1]) for c, i in chosen.items()},
        kept=[f"f.{quote_identifier(name)}" for name, _ in header],
        record=_json_object(header, range(len(header))),
        extras=(
            f"case when {' or '.join(f'_r{i} is not null' for i in extras)} then {_json_object(header, extras)} end"
            if extras
            else "cast(null as varchar)"
        ),
        params=list(params or []),
        names=[name for name, _ in header],
    )


def jsonl_source(relation: str) -> Source:
    """A JSON Lines file already split into `relation` (row_number, parse_error, line and the canonical
    keys as text): an accepted line keeps its object without the canonical keys."""
    without_canonical = "{" + ", ".join(f'"{c}": null' for c in CANONICAL_COLUMNS) + "}"
    return Source(
        relation=relation,
        row_number="f.row_number",
        parse_error="f.parse_error",
        columns={c: (f"f.{c}", "VARCHAR") for c in CANONICAL_COLUMNS},
        kept=["f.line"],
        record="_r0",
        extras=f"nullif(cast(json_merge_patch(_r0, {quote_literal(without_canonical)}) as varchar), '{{}}')",
    )


def _json_object(header: list[tuple[str, str]], indexes) -> str:
    pairs = ", ".join(f"{quote_literal(header[i][0])}, _r{i}" for i in indexes)
    return f"cast(json_object({pairs}) as varchar)"


def _text(sql: str, type_: str) -> str:
    value = sql if type_ == "VARCHAR" else f"cast({sql} as varchar)"
    return f"nullif(trim({value}), '')"


def _native(column: str, sql: str, type_: str) -> str | None:
    """The typed value of a column the file already holds typed, or None when it is parsed from text."""
    if column in TIME_COLUMNS and type_ in NATIVE_TIMES:
        return f"cast({sql} as timestamp)"
    if column in TIME_COLUMNS and type_ == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {sql})"
    if column == "amount" and (type_ in NATIVE_NUMBERS or type_.startswith("DECIMAL")):
        return f"cast({sql} as double)"
    if column == "is_valid" and type_ == "BOOLEAN":
        return sql
    return None


TYPED = {"occurred_at": "occurred_at_ts", "updated_at": "updated_at_ts", "amount": "amount_num",
         "is_valid": "is_valid_bool"}  # fmt: skip
PARSED = {
    "occurred_at": f"case when occurred_at like '{PLAIN_UTC_SHAPE}' then try_cast(occurred_at as timestamp)"
    " else timezone('UTC', try_cast(occurred_at as timestamptz)) end",
    "amount": "try_cast(amount as double)",
    "is_valid": "case lower(is_valid) when 'true' then true when 'false' then false end",
}
PARSED["updated_at"] = PARSED["occurred_at"].replace("occurred_at", "updated_at")


def _values_sql(source: Source) -> str:
    """Each canonical column as its text, or as its typed value when the file typed it (the reasons
    only test it for null and show it); then the values `record` and `extras` are made of."""
    values = []
    for column in CANONICAL_COLUMNS:
        sql, type_ = source.columns.get(column, ("cast(null as varchar)", "VARCHAR"))
        native = _native(column, sql, type_)
        values.append(f"{native if native else _text(sql, type_)} as {column}")
    values += [f"{sql} as _r{i}" for i, sql in enumerate(source.kept)]
    return ",\n".join(values)


def _typed_sql(source: Source) -> str:
    """The typed columns: parsed from the text, or the file's own typed value."""
    return ",\n".join(
        f"{column if column in source.columns and _native(column, *source.columns[column]) else PARSED[column]}"
        f" as {typed}"
        for column, typed in TYPED.items()
    )


def _reason_sql() -> str:
    required = " ".join(
        f"when event_type = '{t}' and {c} is null then '{t} requires {c}'\n"
        for t, cols in REQUIRED_BY_TYPE.items()
        for c in cols
    )
    return f"""concat_ws('; ',
        parse_error,
        case when parse_error is null and event_id is null then 'missing event_id' end,
        case when parse_error is null and contact_id is null then 'missing contact_id' end,
        case when parse_error is null and occurred_at is null then 'missing occurred_at' end,
        case when occurred_at is not null and occurred_at_ts is null
             then 'occurred_at is not an ISO-8601 timestamp: ' || occurred_at end,
        case when updated_at is not null and updated_at_ts is null
             then 'updated_at is not an ISO-8601 timestamp: ' || updated_at end,
        {implausible_time_sql("occurred_at")},
        {implausible_time_sql("updated_at")},
        case when parse_error is null and event_type is null then 'missing event_type'
             when event_type not in ({sql_list(EVENT_TYPES)})
             then 'unknown event_type: ' || event_type end,
        case when direction not in ({sql_list(DIRECTIONS)})
             then 'direction is not outbound or inbound: ' || direction end,
        case when purpose not in ({sql_list(PURPOSES)})
             then 'purpose is not sales or support: ' || purpose end,
        case when event_type = 'call' and outcome not in ({sql_list(CALL_OUTCOMES)})
             then 'not a call outcome: ' || outcome
             when event_type = 'meeting' and outcome not in ({sql_list(MEETING_OUTCOMES)})
             then 'not a meeting outcome: ' || outcome end,
        case when is_valid is not null and is_valid_bool is null
             then 'is_valid is not true or false: ' || is_valid end,
        case when amount is not null and (amount_num is null or not isfinite(amount_num))
             then 'amount is not a number: ' || amount
             when amount_num < 0 then 'amount is negative: ' || amount end,
        case {required} end
    )"""


def validation_sql(source: Source, target: str = "validated") -> str:
    """`create temp table <target>`: row_number, reason ('' when accepted), the raw layer's columns
    typed (the text of the typed ones is not kept: only the reasons show it), and raw_record. One pass: the record's JSON is built only for the rows that keep it."""
    return f"""
    create or replace temp table {target} as
    with file_values as (
        select {source.row_number} as row_number, {source.parse_error} as parse_error,
               {_values_sql(source)}
        from {source.relation}
    ),
    typed as (select *, {_typed_sql(source)} from file_values),
    reasons as (select *, {_reason_sql()} as reason from typed)
    select row_number, reason, {", ".join(c for c in CANONICAL_COLUMNS if c not in TYPED)},
           {", ".join(TYPED.values())},
           case when reason <> '' then {source.record} else {source.extras} end as raw_record
    from reasons
    """
