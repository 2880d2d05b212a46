"""The raw gate: a run whose load has too many rejected rows does not rebuild staging or the marts.

The Great Expectations check `gx_raw_reject_share` reports the same figure with severity ERROR (and
is alerted); the dbt step asks this gate before it builds. The run itself still succeeds, because
the contract says a run over data with malformed rows succeeds and loses nothing: the good rows are
in raw, and the next healthy run builds the marts from them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def held_load_reason(warehouse: Path, run_id: str, max_reject_share: float) -> str | None:
    """Why this run's load must not reach the marts, or None when it may."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        read, rejected = con.execute(
            "select coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0)"
            " from raw.loaded_files where run_id = ? and status = 'loaded'",
            [run_id],
        ).fetchone()
    if read == 0 or rejected / read <= max_reject_share:
        return None
    return (
        f"This run's load rejected {rejected:,} of {read:,} rows ({rejected / read:.1%}), over the "
        f"limit of {max_reject_share:.1%} (SALES_MAX_REJECT_SHARE): staging and the marts are not rebuilt "
        "in this run. See raw.rejected_events and the check gx_raw_reject_share."
    )
