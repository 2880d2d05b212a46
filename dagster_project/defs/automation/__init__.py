import dagster as dg

from .jobs import refresh_job
from .schedules import daily_refresh_schedule
from .sensors import landing_files_sensor

defs = dg.Definitions(jobs=[refresh_job], schedules=[daily_refresh_schedule], sensors=[landing_files_sensor])
