"""Aggregates that reconcile staging.stg_sales_events with the raw layer.

dbt's tests check the staged rows themselves (keys, values, required fields: dbt/models/staging);
this checks what no model sees alone: that every event accepted in raw (outside held loads) is staged
once, and nothing else is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from data_quality.context import CheckContext

if TYPE_CHECKING:  # pandas is imported by DuckDB when a frame is made, not when Dagster loads
    import pandas as pd

STAGED = "staging.stg_sales_events"

# --- gx_staging_reconciles_with_raw -------------------------------------------------------------

_STAGED_VS_RAW = f"""
    with raw_ids as (
        select distinct event_id from raw.sales_events
        where load_id not in (select load_id from raw.held_load_ids)
    ),
    staged_ids as (select event_id, count(*) as copies from {STAGED} group by event_id)
    select raw_ids.event_id as raw_event_id, staged_ids.event_id as staged_event_id, staged_ids.copies
    from raw_ids full outer join staged_ids on raw_ids.event_id = staged_ids.event_id
"""


def events_by_layer(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row: distinct event ids accepted in raw, rows staged, and the ids lost, extra or doubled."""
    return con.execute(
        f"""
        select count(raw_event_id) as raw_event_ids,
               coalesce(sum(copies), 0)::bigint as staged_rows,
               count_if(staged_event_id is null)::bigint as events_not_staged,
               count_if(raw_event_id is null)::bigint as events_not_in_raw,
               count_if(copies > 1)::bigint as events_staged_twice
        from ({_STAGED_VS_RAW})
        """
    ).df()


def unreconciled_events_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_unreconciled_events": con.execute(
            f"""
            select coalesce(raw_event_id, staged_event_id) as event_id,
                   case when staged_event_id is null then 'accepted in raw, not staged'
                        when raw_event_id is null then 'staged, not in raw'
                        else 'staged ' || copies || ' times' end as problem
            from ({_STAGED_VS_RAW})
            where staged_event_id is null or raw_event_id is null or copies > 1
            order by event_id limit 10
            """
        ).df()
    }
