"""The second code location: the daily history of the metric values (defs/history/), with the same
warehouse resource as the main location (dagster_project/definitions.py)."""

import dagster as dg

from dagster_project.defs import history
from dagster_project.defs.resources import warehouse_resource

defs = dg.Definitions.merge(
    history.defs,
    dg.Definitions(resources={"warehouse": warehouse_resource()}, executor=dg.in_process_executor),
)
