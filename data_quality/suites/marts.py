"""Expectation suites of the mart layer (asset marts/metric_values), one per check.

Each validates a frame of `data_quality.aggregates.marts`; the suites never change at run time.
"""

from data_quality.gx import gx, gxe


def gx_marts_reconcile_with_staging() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_marts_reconcile_with_staging",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="difference",
                min_value=0,
                max_value=0,
                description="Each count metric's total in the marts equals its recount from staging",
            ),
        ],
    )
