"""Expectation suites of the raw layer (asset raw/sales_events), one per check.

Each validates a frame of `data_quality.aggregates.raw`. Thresholds that are configuration come
in as `$PARAMETER`s at run time; the suites themselves never change at run time.
"""

from data_quality.aggregates.raw import VOLUME_BASELINE_WEEKS
from data_quality.checks import AFFECTED_ROWS
from data_quality.gx import gx, gxe

# A day below this share of its weekday baseline is a sudden drop.
MIN_VOLUME_RATIO = 0.5


def gx_raw_reject_share() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_raw_reject_share",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="reject_share",
                min_value=0,
                max_value={"$PARAMETER": "max_reject_share"},
                meta={AFFECTED_ROWS: "rows_rejected"},
                description="Rejected rows are at most SALES_MAX_REJECT_SHARE (default 5%) of the rows "
                "read by the files this run loaded",
            ),
        ],
    )


def gx_raw_failed_files() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_raw_failed_files",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=["loaded"],
                description="Every file this run read could be parsed (none recorded as failed)",
            ),
        ],
    )


def gx_raw_future_events() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_raw_future_events",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="future_events",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "future_events"},
                description="No source file delivered events dated after now (UTC)",
            ),
        ],
    )


def gx_raw_daily_volume() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_raw_daily_volume",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="ratio_to_baseline",
                min_value=MIN_VOLUME_RATIO,
                description=f"The last complete day has at least {MIN_VOLUME_RATIO:.0%} of the mean events "
                f"of the same weekday over the {VOLUME_BASELINE_WEEKS} previous weeks",
            ),
        ],
    )
