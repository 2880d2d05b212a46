"""Who answers for which assets (shown in the Dagster UI): data engineers for what runs the pipeline,
analysts for the metrics."""

DATA_ENGINEERING = ["team:data-engineering"]
SALES_ANALYTICS = ["team:sales-analytics"]
