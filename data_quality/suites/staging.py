"""Expectation suites of the staging layer (asset staging/stg_sales_events), one per check.

Each validates a frame of `data_quality.aggregates.staging`; the suites never change at run time.
"""

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from dagster_project.lib.vocabulary import CALL_OUTCOMES, DIRECTIONS, EVENT_TYPES, MEETING_OUTCOMES, PURPOSES
from data_quality.checks import AFFECTED_ROWS


def gx_staging_unique_event_id() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_unique_event_id",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="duplicated_event_ids",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "surplus_rows"},
                description="Every event_id is staged once (no event_id on two rows)",
            ),
        ],
    )


def gx_staging_required_fields() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_required_fields",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="missing",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "missing"},
                description="No event lacks a key (event_id, event_type, occurred_at, contact_id), a "
                "defaulted field (purpose, lead_source) or a field its type requires",
            ),
        ],
    )


def gx_staging_accepted_values() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_accepted_values",
        expectations=[
            gxe.ExpectColumnValuesToBeInSet(
                column="event_type",
                value_set=EVENT_TYPES,
                meta={AFFECTED_ROWS: "events"},
                description="event_type is in the vocabulary",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="direction",
                value_set=DIRECTIONS,
                meta={AFFECTED_ROWS: "events"},
                description="direction is outbound or inbound",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="purpose",
                value_set=PURPOSES,
                meta={AFFECTED_ROWS: "events"},
                description="purpose is sales or support",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="outcome",
                value_set=CALL_OUTCOMES,
                row_condition=Column("event_type") == "call",
                meta={AFFECTED_ROWS: "events"},
                description="A call's outcome is a call outcome",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="outcome",
                value_set=MEETING_OUTCOMES,
                row_condition=Column("event_type") == "meeting",
                meta={AFFECTED_ROWS: "events"},
                description="A meeting's outcome is held, no_show or cancelled",
            ),
        ],
    )


def gx_staging_amounts_non_negative() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_amounts_non_negative",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="smallest_amount",
                min_value=0,
                meta={AFFECTED_ROWS: "negative_amounts"},
                description="No amount is negative (smallest amount per event type >= 0)",
            ),
        ],
    )


def gx_staging_offer_references() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name="gx_staging_offer_references",
        expectations=[
            gxe.ExpectColumnValuesToBeBetween(
                column="unknown_offer_events",
                min_value=0,
                max_value=0,
                meta={AFFECTED_ROWS: "unknown_offer_events"},
                description="Every offer_lost, and every purchase carrying an offer_id, names an offer "
                "that an offer_sent event sent",
            ),
        ],
    )
