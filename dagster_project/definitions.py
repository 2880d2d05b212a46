"""Everything Dagster loads: the merge of each concern's own definitions (see docs/architecture.md)."""

import dagster as dg

from dagster_project.defs import alerts, automation, dbt, ingestion, planning, quality, serving

# One run never opens the DuckDB file from two processes: steps run one after another in-process.
defs = dg.Definitions.merge(
    ingestion.defs,
    planning.defs,
    dbt.defs,
    quality.defs,
    serving.defs,
    alerts.defs,
    automation.defs,
    dg.Definitions(executor=dg.in_process_executor),
)
