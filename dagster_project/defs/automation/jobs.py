"""The one job: materialize the whole asset graph (ingestion, dbt, checks, serving)."""

import dagster as dg

refresh_job = dg.define_asset_job(
    name="refresh_sales_metrics",
    selection=dg.AssetSelection.all(),
    description="Load new landing files, rebuild the staged facts and the ten metric marts, publish.",
)
