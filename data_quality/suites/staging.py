"""Expectation suites of the staging layer (asset staging/stg_sales_events), one per check.

Each validates a frame of `data_quality.aggregates.staging`; the suites never change at run time.
"""

from data_quality.checks import AFFECTED_ROWS
from data_quality.gx import gx, gxe


def gx_staging_reconciles_with_raw() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_reconciles_with_raw",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: column},
                description=description,
            )
            for column, description in [
                ("events_not_staged", "Every event id accepted in raw is staged"),
                ("events_not_in_raw", "Every staged event id was accepted in raw"),
                ("events_staged_twice", "No event id is staged twice"),
            ]
        ],
    )
