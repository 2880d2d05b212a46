"""The coded values of the data contract that the suites check (CONTRACT sections 2 and 5).

The event vocabulary is the loader's, so the raw gate and these checks never disagree.
"""

from dagster_project.defs.ingestion.loader import (
    CALL_OUTCOMES,
    EVENT_TYPES,
    MEETING_OUTCOMES,
    REQUIRED_BY_TYPE,
)

DIRECTIONS = ["outbound", "inbound"]
PURPOSES = ["sales", "support"]

# The ten metric keys of marts.metric_values, and those that are rates (numerator / denominator in [0, 1]).
METRICS = [
    "conversations", "prospect_calls", "prospecting_emails", "conversations_to_close", "days_to_customer",
    "prospect_conversion_rate", "offer_loss_rate", "never_engaged_rate", "repeat_purchase_90d_rate",
    "referral_6m_rate",
]  # fmt: skip
RATE_METRICS = [
    "prospect_conversion_rate", "offer_loss_rate", "never_engaged_rate", "repeat_purchase_90d_rate",
    "referral_6m_rate",
]  # fmt: skip

__all__ = [
    "CALL_OUTCOMES", "DIRECTIONS", "EVENT_TYPES", "MEETING_OUTCOMES", "METRICS", "PURPOSES", "RATE_METRICS",
    "REQUIRED_BY_TYPE",
]  # fmt: skip


def sql_list(values: list[str]) -> str:
    """A SQL list literal of constant vocabulary values (never data)."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
