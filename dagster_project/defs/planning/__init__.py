"""Planning (docs/decisions.md): the targets file as raw tables, with its check and settings."""

import dagster as dg

from .assets import sales_targets
from .resources import PlanningResource

defs = dg.Definitions(assets=[sales_targets], resources={"planning": PlanningResource.from_env()})

__all__ = ["defs"]
