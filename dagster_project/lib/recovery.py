"""Crash recovery: runs whose process is gone are marked failed, and the pool slots they hold are freed.

A run killed hard (`kill -9`, the OOM killer, a reboot) cannot report its own end: Dagster keeps it
STARTED and its step keeps the only slot of the `duckdb_warehouse` pool, so every later run waits for
it forever. Marking such a run failed is not enough either: open-source Dagster frees a finished run's
slots only when the daemon's run monitoring has `free_slots_after_run_end_seconds` set.

So every run, when its resources start (before any step claims a slot), and a sensor of the daemon,
every half minute, call `recover_crashed_runs`: each in-flight run records which process runs it (the
run tag `WORKER_TAG`: host, pid, boot and process start time, so a reused pid is not mistaken for it);
a run on this host whose process no longer exists is marked failed, and any slot held by a run that
has finished is freed. Runs on other hosts are left alone: their own host's check finds them.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

WORKER_TAG = "sales/worker"
IN_FLIGHT = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None when it does not exist or is a
    zombie (killed, waiting for its parent to reap it). "" where /proc is missing (not Linux)."""
    if not _PROC.is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # it exists, under another user
        return ""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after its last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    state, start = fields[0], fields[19]  # fields 3 and 22 of proc(5)
    return None if state in ("Z", "X") else start


def process_identity(pid: int | None = None) -> str:
    """host:pid:boot id:start time of a process (default: this one), what `WORKER_TAG` holds."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_boot_id()}:{_start_ticks(pid) or ''}"


def worker_state(identity: str) -> str:
    """ "alive", "gone", or "elsewhere" (another host: this one cannot tell)."""
    host, pid, boot, start = identity.rsplit(":", 3)
    if host != socket.gethostname():
        return "elsewhere"
    if boot != _boot_id():
        return "gone"  # the machine restarted since
    current = _start_ticks(int(pid))
    return "alive" if current is not None and current == start else "gone"


@dataclass(frozen=True)
class Recovery:
    failed_runs: list[str]  # run ids marked failed: their process was gone
    freed_runs: list[str]  # run ids whose pool slots or pending steps were freed


def _free_slots_of_finished_runs(instance: dg.DagsterInstance, current_run_id: str | None) -> list[str]:
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    holders: set[str] = set()
    for pool in storage.get_concurrency_keys():
        info = storage.get_concurrency_info(pool)
        holders |= {slot.run_id for slot in info.claimed_slots if slot.run_id}
        holders |= {step.run_id for step in info.pending_steps}
    freed = []
    for run_id in sorted(holders - {current_run_id}):
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
    return freed


def recover_crashed_runs(
    instance: dg.DagsterInstance,
    current_run_id: str | None = None,
    log: logging.Logger | dg.DagsterLogManager | None = None,
    checked_by: str = "a run's start",
) -> Recovery:
    """Mark failed the in-flight runs of this host whose process is gone, then free every pool slot
    held by a finished run. Never touches `current_run_id` (the run doing the check)."""
    log = log or logging.getLogger(__name__)
    failed = []
    for record in instance.get_run_records(dg.RunsFilter(statuses=IN_FLIGHT)):
        run = record.dagster_run
        identity = run.tags.get(WORKER_TAG)
        if run.run_id == current_run_id or not identity or worker_state(identity) != "gone":
            continue
        run = instance.get_run_by_id(run.run_id)  # it may have ended meanwhile, before its process
        if run is None or run.is_finished:
            continue
        message = (
            f"The process of run {run.run_id} ({identity}) is gone: killed, out of memory or the machine "
            f"restarted. Marked failed by {checked_by} so that its pool slots are freed (docs/operations.md)."
        )
        instance.report_run_failed(run, message)
        log.warning(message)
        failed.append(run.run_id)
    freed = _free_slots_of_finished_runs(instance, current_run_id)
    if freed:
        log.warning(f"Freed the pool slots held by finished run(s) {', '.join(freed)}.")
    return Recovery(failed, freed)


def register_worker(instance: dg.DagsterInstance, run_id: str) -> None:
    """Record which process runs this run (before it claims any slot), for `recover_crashed_runs`."""
    instance.add_run_tags(run_id, {WORKER_TAG: process_identity()})
