"""Alerts on failed asset checks and failed runs: run-status sensors, running by default (docs/alerts.md)."""

import dagster as dg

from .sensors import ALERT_SENSORS, RETRY_SENSORS

defs = dg.Definitions(sensors=[*ALERT_SENSORS, *RETRY_SENSORS])
