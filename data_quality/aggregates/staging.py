"""Aggregates of staging.stg_sales_events (one row per event_id, CONTRACT section 2's columns).

Each function reduces the table to a small frame in DuckDB SQL: key counts, null counts per
required field, counts per combination of coded values, amount ranges per event type, and
offer references per event type. `*_samples` return a few offending rows (LIMIT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from dagster_project.lib.sql import sql_list
from dagster_project.lib.vocabulary import (
    CALL_OUTCOMES,
    DIRECTIONS,
    EVENT_TYPES,
    MEETING_OUTCOMES,
    PURPOSES,
    REQUIRED_BY_TYPE,
)
from data_quality.context import CheckContext

if TYPE_CHECKING:  # pandas is imported by DuckDB when a frame is made, not when Dagster loads
    import pandas as pd

STAGED = "staging.stg_sales_events"

# Never null in staging: the keys of every event, and the fields staging defaults.
REQUIRED_FOR_EVERY_EVENT = ["event_id", "event_type", "occurred_at", "contact_id", "purpose", "lead_source"]
SAMPLE_COLUMNS = "event_id, event_type, occurred_at, contact_id, source_file"


# --- gx_staging_unique_event_id -----------------------------------------------------------------


def event_id_counts(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row: staged rows, distinct event ids, ids staged more than once, and the surplus rows."""
    return con.execute(
        f"""
        select coalesce(sum(n), 0)::bigint as rows,
               count(*) as event_ids,
               count_if(n > 1)::bigint as duplicated_event_ids,
               coalesce(sum(n - 1), 0)::bigint as surplus_rows
        from (select event_id, count(*) as n from {STAGED} group by event_id)
        """
    ).df()


def duplicated_event_ids(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_duplicated_event_ids": con.execute(
            f"""
            with duplicated as (
                select event_id, count(*) as rows from {STAGED}
                group by event_id having count(*) > 1
                order by rows desc, event_id limit 10
            )
            select event_id, duplicated.rows, list(distinct staged.source_file) as source_files
            from duplicated join {STAGED} as staged using (event_id)
            group by all order by rows desc, event_id
            """
        ).df()
    }


# --- gx_staging_required_fields -----------------------------------------------------------------


def _requirements() -> list[tuple[str, str | None]]:
    """(field, event type it is required for, or None for every event)."""
    every = [(field, None) for field in REQUIRED_FOR_EVERY_EVENT]
    by_type = [(field, event_type) for event_type, fields in REQUIRED_BY_TYPE.items() for field in fields]
    return every + by_type


def _condition(field: str, event_type: str | None) -> str:
    # Field names and event types are the constant vocabularies, never data.
    return f"{field} is null" + (f" and event_type = '{event_type}'" if event_type else "")


def required_fields(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per requirement (field, required_for): the events it applies to and how many lack it."""
    import pandas as pd

    requirements = _requirements()
    scope = {None: "count(*)", **{t: f"count_if(event_type = '{t}')" for t in REQUIRED_BY_TYPE}}
    selects = [f"{scope[t]}, count_if({_condition(f, t)})" for f, t in requirements]
    row = con.execute(f"select {', '.join(selects)} from {STAGED}").fetchone()
    return pd.DataFrame(
        [
            {
                "field": field,
                "required_for": event_type or "every event",
                "events": row[2 * i],
                "missing": row[2 * i + 1],
            }
            for i, (field, event_type) in enumerate(requirements)
        ]
    )


def missing_fields_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    cases = " ".join(f"when {_condition(f, t)} then '{f}'" for f, t in _requirements())
    return {
        "sample_events_missing_a_field": con.execute(
            f"""
            select * from (
                select case {cases} end as missing_field, {SAMPLE_COLUMNS} from {STAGED}
            ) where missing_field is not null
            order by event_id limit 10
            """
        ).df()
    }


# --- gx_staging_accepted_values -----------------------------------------------------------------


def coded_values(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per combination of the coded columns, with its number of events (a few hundred rows
    at most for valid data, however many events there are)."""
    return con.execute(
        f"""
        select event_type, direction, purpose, outcome, count(*) as events
        from {STAGED} group by all order by events desc
        """
    ).df()


def unexpected_values_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_events_with_unexpected_values": con.execute(
            f"""
            select {SAMPLE_COLUMNS}, direction, purpose, outcome from {STAGED}
            where event_type not in ({sql_list(EVENT_TYPES)})
               or direction not in ({sql_list(DIRECTIONS)})
               or purpose not in ({sql_list(PURPOSES)})
               or (event_type = 'call' and outcome not in ({sql_list(CALL_OUTCOMES)}))
               or (event_type = 'meeting' and outcome not in ({sql_list(MEETING_OUTCOMES)}))
            order by event_id limit 10
            """
        ).df()
    }


# --- gx_staging_amounts_non_negative ------------------------------------------------------------


def amounts_by_event_type(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per event type carrying amounts: how many, the smallest, and how many are negative."""
    return con.execute(
        f"""
        select event_type, count(*) as amounts, min(amount) as smallest_amount,
               count_if(amount < 0)::bigint as negative_amounts
        from {STAGED} where amount is not null
        group by event_type order by event_type
        """
    ).df()


def negative_amounts_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_negative_amounts": con.execute(
            f"select {SAMPLE_COLUMNS}, amount from {STAGED} where amount < 0 order by amount, event_id limit 10"
        ).df()
    }


# --- gx_staging_offer_references ----------------------------------------------------------------

_UNKNOWN_OFFERS = f"""
    with sent as (
        select distinct offer_id from {STAGED} where event_type = 'offer_sent' and offer_id is not null
    )
    select e.*, sent.offer_id is null as unknown_offer
    from {STAGED} e left join sent on e.offer_id = sent.offer_id
    where e.event_type in ('offer_lost', 'purchase') and e.offer_id is not null
"""


def offer_references(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> pd.DataFrame:
    """One row per event type that refers to an offer (offer_lost, purchase carrying an offer_id):
    its events and how many name an offer that no offer_sent event sent."""
    return con.execute(
        f"""
        select event_type, count(*) as events, count_if(unknown_offer)::bigint as unknown_offer_events
        from ({_UNKNOWN_OFFERS}) group by event_type order by event_type
        """
    ).df()


def unknown_offers_samples(con: duckdb.DuckDBPyConnection, ctx: CheckContext) -> dict[str, pd.DataFrame]:
    return {
        "sample_events_with_unknown_offer": con.execute(
            f"""
            select {SAMPLE_COLUMNS}, offer_id from ({_UNKNOWN_OFFERS})
            where unknown_offer order by occurred_at, event_id limit 10
            """
        ).df()
    }
