"""The coded values of the data contract that the suites check (CONTRACT sections 2 and 5).

The event vocabulary is the loader's, so the raw gate and these checks never disagree.
"""

from dagster_project.defs.ingestion.loader import (
    CALL_OUTCOMES,
    EVENT_TYPES,
    MEETING_OUTCOMES,
    REQUIRED_BY_TYPE,
    sql_list,
)
from dagster_project.lib.metrics_catalog import METRIC_KEYS
from dagster_project.lib.metrics_catalog import METRICS as METRIC_CATALOG

DIRECTIONS = ["outbound", "inbound"]
PURPOSES = ["sales", "support"]

# The ten metric keys of marts.metric_values, and those that are rates (numerator / denominator in [0, 1]).
METRICS = list(METRIC_KEYS)
RATE_METRICS = [m.key for m in METRIC_CATALOG if m.kind == "rate"]

__all__ = [
    "CALL_OUTCOMES", "DIRECTIONS", "EVENT_TYPES", "MEETING_OUTCOMES", "METRICS", "PURPOSES", "RATE_METRICS",
    "REQUIRED_BY_TYPE", "sql_list",
]  # fmt: skip
