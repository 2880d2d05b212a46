"""Expectation suites of the mart layer (asset marts/metric_values), one per check.

Each validates a frame of `data_quality.aggregates.marts`; the suites never change at run time.
"""

import great_expectations as gx
import great_expectations.expectations as gxe

from dagster_project.lib.metrics_catalog import METRIC_KEYS
from data_quality.checks import AFFECTED_ROWS


def gx_marts_rates_within_0_1() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_marts_rates_within_0_1",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="lowest_value",
                min_value=0,
                meta={AFFECTED_ROWS: "rows_out_of_range"},
                description="No rate metric has a value below 0",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="highest_value",
                max_value=1,
                meta={AFFECTED_ROWS: "rows_out_of_range"},
                description="No rate metric has a value above 1",
            ),
        ],
    )


def gx_marts_numerator_within_denominator() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_marts_numerator_within_denominator",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="rows_numerator_above_denominator",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "rows_numerator_above_denominator"},
                description="A rate's numerator never exceeds its denominator",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="rows_missing_a_part",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "rows_missing_a_part"},
                description="Every rate row has a numerator and a denominator",
            ),
        ],
    )


def gx_marts_latest_month_complete() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_marts_latest_month_complete",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="all_rows",
                min_value=1,
                max_value=1,
                description="Each of the ten metrics has exactly one `all` row for the latest complete month",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="metric", value_set=list(METRIC_KEYS), description="Every metric key is one of the ten"
            ),
        ],
    )
