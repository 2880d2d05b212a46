"""Crash recovery on the daemon's side (docs/operations.md)."""

import dagster as dg

from .sensors import recover_crashed_runs_sensor

defs = dg.Definitions(sensors=[recover_crashed_runs_sensor])
