"""The daemon's side of crash recovery: a sensor that marks dead runs failed and frees their pool slots.

A run queued by the daemon never starts while a crashed run holds the pool's only slot (the run
queue holds runs whose steps would be blocked), so the check at a run's start cannot help it: this
sensor does the same check every half minute (dagster_project/lib/recovery.py, docs/operations.md).
"""

from __future__ import annotations

import dagster as dg

from dagster_project.lib.recovery import recover_crashed_runs

INTERVAL_SECONDS = 30


@dg.sensor(
    name="recover_crashed_runs_sensor",
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Marks failed the runs whose process is gone (kill -9, out of memory, reboot) and frees the "
        "pool slots that finished runs still hold, so queued runs proceed."
    ),
)
def recover_crashed_runs_sensor(context: dg.SensorEvaluationContext):
    recovery = recover_crashed_runs(
        context.instance, log=context.log, checked_by="the sensor recover_crashed_runs_sensor"
    )
    if not recovery.failed_runs and not recovery.freed_runs:
        return dg.SkipReason("No crashed run, no slot held by a finished run.")
    return dg.SkipReason(
        f"Marked {len(recovery.failed_runs)} crashed run(s) failed, freed the slots of "
        f"{len(recovery.freed_runs)} finished run(s)."
    )
