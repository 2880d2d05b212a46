"""Planning (docs/decisions.md): the targets file as raw tables, with its check and settings."""

import dagster as dg

from .assets import sales_targets
from .resources import planning_resource

defs = dg.Definitions(assets=[sales_targets], resources={"planning": planning_resource()})

__all__ = ["defs"]
