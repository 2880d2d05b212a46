"""Everything Dagster loads: the merge of each concern's own definitions (docs/architecture.md)."""

import dagster as dg

from dagster_project.defs import (
    alerts,
    automation,
    dbt,
    freshness,
    ingestion,
    planning,
    quality,
    recovery,
    serving,
    sources,
)
from dagster_project.defs.resources import alerting_resource, engine_resource, warehouse_resource

# One run never opens the DuckDB file from two processes: steps run one after another in-process.
# The marts and the published output carry a freshness policy (defs/freshness/).
defs = freshness.with_freshness_policies(
    dg.Definitions.merge(
        ingestion.defs,
        planning.defs,
        dbt.defs,
        quality.defs,
        serving.defs,
        alerts.defs,
        automation.defs,
        sources.defs,
        recovery.defs,
        freshness.defs,
        dg.Definitions(
            resources={
                "warehouse": warehouse_resource(),
                "alerting": alerting_resource(),
                "engine": engine_resource(),
            },
            executor=dg.in_process_executor,
        ),
    ),
    freshness.WINDOW,
)
