"""Daily refresh of the whole graph, running by default."""

import dagster as dg

from .jobs import refresh_job

daily_refresh_schedule = dg.ScheduleDefinition(
    name="daily_refresh",
    job=refresh_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Refresh everything every day at 06:00 UTC: loads files the sensor missed and re-runs the raw checks; a dbt build with nothing new is skipped.",
)
