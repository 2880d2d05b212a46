"""Aggregates that reconcile staging.stg_sales_events with the raw layer.

dbt's tests check the staged rows themselves (keys, values, required fields: dbt/models/staging);
this checks what no model sees alone: that every event accepted in raw (outside held loads) is staged
once, and nothing else is.

Scoped to what changed (docs/data_quality.md, "Reconciliations that follow new data"). A passing check
keeps a watermark (data_quality/watermark.py): the load L it reconciled through (staging's newest
`batch_load_id`, when staging had read every accepted load) and two totals, a count and a sum of
hash(event_id): of the accepted raw rows of loads <= L, and of the staged rows. The next check looks
only at the event ids in its scope: ids with an accepted raw row in a load after L, and ids of staged
rows whose `batch_load_id` is after L (or null). For those it joins every raw version (of any load)
with every staged row, as the full check does.

Why an id outside the scope cannot have changed: its raw rows all sit in loads <= L, and loads are
appended with ever larger load ids and never rewritten, so its raw rows are those the watermark saw;
its staged rows all carry a batch <= L, and an incremental build of staging (delete+insert on
event_id) deletes and writes only ids with a raw row in a load newer than its own watermark, >= L:
ids in the scope. So an id outside the scope is staged as it was when the check passed: once.

That argument is verified, not assumed: the accepted raw rows of loads <= L must still have the
watermark's totals (a load lost or rewritten, a hold released or added on an old load change them),
and the staged rows outside the scope plus the ids in the scope that were accepted in raw through L
(each staged once when the check passed, now deleted or written again by a newer build) must add up
to the watermark's staged totals (a full refresh that dropped an id, an edited or rebuilt table change
them). When they do not, or when there is no watermark to trust (first check, staging without
`batch_load_id`, totals kept by another DuckDB release), the check reconciles every event id: first
by the same totals over the distinct accepted ids and the staged rows, and only when they differ id
by id, to count what is lost, extra or doubled. The frame's `scope` column says which it did, and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from data_quality.context import CheckContext
from data_quality.watermark import Watermark, read_watermark, write_watermark

if TYPE_CHECKING:  # pandas is imported by DuckDB when a frame is made, not when Dagster loads
    import pandas as pd

STAGED = "staging.stg_sales_events"
CHECK = "gx_staging_reconciles_with_raw"
NEXT_WATERMARK = "next_watermark"  # key of the frame's attrs: what a pass keeps (see keep_watermark)
_SCOPE_TABLE = "reconciliation_scope"  # a temp table of the check's connection (read-only is fine)

ACCEPTED = "(select event_id, load_id from raw.sales_events where load_id not in (select load_id from raw.held_load_ids))"


@dataclass(frozen=True)
class Totals:
    """A count of rows and the sum of hash(event_id) over them: equal totals, same ids (but for a
    64-bit hash collision)."""

    rows: int
    id_hash: int

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.rows + other.rows, self.id_hash + other.id_hash)

    def as_state(self) -> dict:
        return {"rows": self.rows, "id_hash": str(self.id_hash)}  # beyond JSON's exact integers

    @classmethod
    def from_state(cls, state: dict) -> Totals:
        return cls(int(state["rows"]), int(state["id_hash"]))


def _totals(con: duckdb.DuckDBPyConnection, relation: str, where: str = "", params=None) -> Totals:
    rows, id_hash = con.execute(
        f"select count(*), coalesce(sum(hash(event_id)), 0)::varchar from {relation} {where}", params or {}
    ).fetchone()
    return Totals(rows, int(id_hash))


# --- gx_staging_reconciles_with_raw -------------------------------------------------------------


def _staged_vs_raw(scoped: bool) -> str:
    """Every accepted raw id against every staged id (scoped: only the ids of the scope table).
    `staged_before`: the id had an accepted raw row in a load <= $through (staged when the watermark
    was kept)."""
    in_scope = f"where event_id in (select event_id from {_SCOPE_TABLE})" if scoped else ""
    staged_before = "bool_or(load_id <= $through)" if scoped else "false"
    return f"""
        with raw_ids as (
            select event_id, {staged_before} as staged_before from {ACCEPTED} {in_scope} group by event_id
        ),
        staged_ids as (select event_id, count(*) as copies from {STAGED} {in_scope} group by event_id)
        select raw_ids.event_id as raw_event_id, raw_ids.staged_before,
               staged_ids.event_id as staged_event_id, staged_ids.copies
        from raw_ids full outer join staged_ids on raw_ids.event_id = staged_ids.event_id
    """


@dataclass(frozen=True)
class Scope:
    through: int | None  # None: every event id
    description: str

    @property
    def scoped(self) -> bool:
        return self.through is not None

    @property
    def params(self) -> dict:
        return {"through": self.through} if self.scoped else {}


def _has_batch_column(con: duckdb.DuckDBPyConnection) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.columns"
            " where table_schema = 'staging' and table_name = 'stg_sales_events' and column_name = 'batch_load_id'"
        ).fetchone()[0]
        > 0
    )


def _reason_for_full(con: duckdb.DuckDBPyConnection, mark: Watermark | None) -> str | None:
    if mark is None:
        return "no earlier passing reconciliation kept in the warehouse"
    if not _has_batch_column(con):
        return f"{STAGED} has no batch_load_id"
    if not mark.same_engine():
        return f"the watermark's totals were kept by DuckDB {mark.state.get('duckdb')}"
    return None


def events_by_layer(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row: event ids accepted in raw, rows staged, and the ids lost, extra or doubled, over the
    scope it names (the ids changed since the last passing check, or all)."""
    mark = read_watermark(con, CHECK)
    reason = _reason_for_full(con, mark)
    if reason is None:
        scope = Scope(mark.load_id, f"event ids of loads after {mark.load_id} and rows staged since")
        con.execute(
            f"create or replace temp table {_SCOPE_TABLE} as select event_id from {ACCEPTED} where load_id > $through"
            f" union select event_id from {STAGED} where coalesce(batch_load_id > $through, true)",
            scope.params,
        )
        counts = _counts(con, scope)
        raw_outside = _totals(con, ACCEPTED, "where load_id <= $through", scope.params)
        staged_outside = _totals(con, STAGED, f"where event_id not in (select event_id from {_SCOPE_TABLE})")
        if raw_outside != Totals.from_state(mark.state["raw"]) or staged_outside + counts[
            "staged_before"
        ] != Totals.from_state(mark.state["staged"]):
            reason = f"the rows outside the scope are not as reconciled through load {mark.load_id}"
    if reason is not None:
        scope = Scope(None, f"every event id ({reason})")
        counts = _counts_if_totals_agree(con) or _counts(con, scope)
        raw_outside, staged_outside = Totals(0, 0), Totals(0, 0)
    import pandas as pd

    frame = pd.DataFrame([{**counts["frame"], "scope": scope.description}])
    frame.attrs[NEXT_WATERMARK] = _next_watermark(
        con, scope, raw_outside, staged_outside + counts["staged_in_scope"]
    )
    con.execute(f"drop table if exists {_SCOPE_TABLE}")
    return frame


def _counts_if_totals_agree(con: duckdb.DuckDBPyConnection) -> dict | None:
    """Every event id at the cost of two scans: the distinct accepted raw ids and the staged rows have
    the same totals only if every id is staged once (but for a 64-bit hash collision), which the
    frame then says; None when they differ, and the id-level join (`_counts`) names what is wrong.
    At ten million events 0.8 s, the join 3.8 s."""
    raw_ids = _totals(con, f"(select distinct event_id from {ACCEPTED})")
    staged = _totals(con, STAGED)
    if raw_ids != staged:
        return None
    frame = {"raw_event_ids": raw_ids.rows, "staged_rows": staged.rows, "events_not_staged": 0,
             "events_not_in_raw": 0, "events_staged_twice": 0}  # fmt: skip
    return {"frame": frame, "staged_before": Totals(0, 0), "staged_in_scope": staged}


def _counts(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict:
    """The frame's counts, and two totals for the watermark: of the ids in the scope that were
    accepted through the watermark's load, and of the staged rows in the scope."""
    row = con.execute(
        f"""
        -- count_if over no rows (an empty scope) is null, not 0
        select count(raw_event_id) as raw_event_ids,
               coalesce(sum(copies), 0)::bigint as staged_rows,
               coalesce(count_if(staged_event_id is null), 0)::bigint as events_not_staged,
               coalesce(count_if(raw_event_id is null), 0)::bigint as events_not_in_raw,
               coalesce(count_if(copies > 1), 0)::bigint as events_staged_twice,
               coalesce(count_if(staged_before), 0)::bigint, coalesce(sum(hash(raw_event_id)) filter (where staged_before), 0)::varchar,
               coalesce(sum(hash(staged_event_id)::hugeint * copies), 0)::varchar
        from ({_staged_vs_raw(scope.scoped)})
        """,
        scope.params,
    ).fetchone()
    names = ["raw_event_ids", "staged_rows", "events_not_staged", "events_not_in_raw", "events_staged_twice"]
    return {
        "frame": dict(zip(names, row[:5], strict=True)),
        "staged_before": Totals(row[5], int(row[6])),
        "staged_in_scope": Totals(row[1], int(row[7])),
    }


def _next_watermark(
    con: duckdb.DuckDBPyConnection, scope: Scope, raw_outside: Totals, staged: Totals
) -> Watermark | None:
    """What this check keeps if it passes: staging's newest batch L and the totals through it (the
    raw rows of loads <= L; `staged`: every staged row, outside the scope or in it), only when staging
    has read every accepted load (a load that landed after the build is in the next check's scope)."""
    if not _has_batch_column(con):
        return None
    newest_batch = con.execute(f"select max(batch_load_id) from {STAGED}").fetchone()[0]
    newest_load = con.execute(f"select max(load_id) from {ACCEPTED}").fetchone()[0]
    if newest_batch is None or newest_batch != newest_load:
        return None
    after = "where load_id > $through and load_id <= $newest" if scope.scoped else "where load_id <= $newest"
    raw = raw_outside + _totals(con, ACCEPTED, after, {**scope.params, "newest": newest_batch})
    return Watermark(newest_batch, {"raw": raw.as_state(), "staged": staged.as_state()})


def keep_watermark(warehouse: Path, frame: pd.DataFrame, run_id: str | None) -> None:
    """After a pass: keep the watermark computed with the frame, for the next check's scope."""
    if (mark := frame.attrs.get(NEXT_WATERMARK)) is not None:
        write_watermark(warehouse, CHECK, mark, run_id)


def unreconciled_events_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    # Samples are fetched only on a failure: from every event id, so whatever the scope was, they show it.
    return {
        "sample_unreconciled_events": con.execute(
            f"""
            select coalesce(raw_event_id, staged_event_id) as event_id,
                   case when staged_event_id is null then 'accepted in raw, not staged'
                        when raw_event_id is null then 'staged, not in raw'
                        else 'staged ' || copies || ' times' end as problem
            from ({_staged_vs_raw(scoped=False)})
            where staged_event_id is null or raw_event_id is null or copies > 1
            order by event_id limit 10
            """
        ).df()
    }
