"""What an alert says: built from a finished run's own event log, one alert per failed check and one
per failed run. Pure reading, no delivery; the sensors decide when and docs/alerts.md shows an example.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg

SOURCE = "sales-metrics"
ERROR_CHARS = 500  # enough to recognise the error; the run page has the stack trace

_SEVERITY_EMOJI = {"ERROR": ":red_circle:", "WARN": ":warning:"}


@dataclass(frozen=True)
class FailedCheck:
    asset: str
    check: str
    severity: str  # "ERROR" or "WARN"
    description: str | None
    blocking: bool
    partition: str | None
    failing_counts: dict[str, float | int]
    evaluated_at: float  # unix timestamp of the evaluation event


@dataclass(frozen=True)
class FailedStep:
    step: str
    error: str
    assets: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # "asset:check" of the check steps that failed


def _counts(metadata: Mapping[str, Any]) -> dict[str, float | int]:
    """The numbers a check reported (rows failing, share rejected, dbt's failed_row_count, ...)."""
    counts: dict[str, float | int] = {}
    for key, entry in metadata.items():
        value = getattr(entry, "value", entry)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            counts[key] = value
    return counts


def failed_checks(instance: dg.DagsterInstance, run_id: str) -> list[FailedCheck]:
    """Every check evaluation of the run that did not pass, in the order they happened."""
    records = instance.get_records_for_run(
        run_id=run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    failed = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            continue
        failed.append(
            FailedCheck(
                asset=evaluation.asset_key.to_user_string(),
                check=evaluation.check_name,
                severity=evaluation.severity.value,
                description=evaluation.description,
                blocking=bool(evaluation.blocking),
                partition=evaluation.partition,
                failing_counts=_counts(evaluation.metadata),
                evaluated_at=record.event_log_entry.timestamp,
            )
        )
    return failed


def _error_text(error) -> str:
    """`RuntimeError: text` rather than `builtins.RuntimeError: text` or a long module path."""
    message = error.message.strip()
    qualified, sep, rest = message.partition(": ")
    if sep and error.cls_name and qualified.rsplit(".", 1)[-1] == error.cls_name:
        return f"{error.cls_name}: {rest}"
    return message


def failed_steps(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[FailedStep]:
    """The run's failed steps with the assets and checks each was computing (from the run's plan)."""
    records = instance.get_records_for_run(
        run_id=run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE
    ).records
    if not records:
        return []
    outputs_by_step: dict[str, tuple[list[str], list[str]]] = {}
    if run.execution_plan_snapshot_id:
        plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
        for step in plan.steps:
            assets, checks = [], []
            for output in step.outputs:
                props = output.properties
                if props and props.asset_key:
                    assets.append(props.asset_key.to_user_string())
                if props and props.asset_check_key:
                    check_key = props.asset_check_key
                    assets.append(check_key.asset_key.to_user_string())
                    checks.append(f"{check_key.asset_key.to_user_string()}:{check_key.name}")
            outputs_by_step[step.key] = (sorted(set(assets)), checks)
    steps = []
    for record in records:
        event = record.event_log_entry.dagster_event
        error = event.event_specific_data.error if event.event_specific_data else None
        while error is not None and error.cause is not None:  # the user's exception, not Dagster's wrapper
            error = error.cause
        message = _error_text(error) if error else (event.message or "")
        assets, checks = outputs_by_step.get(event.step_key, ([], []))
        steps.append(FailedStep(event.step_key, message[:ERROR_CHARS], assets, checks))
    return steps


def run_url(ui_url: str, run_id: str) -> str:
    return f"{ui_url}/runs/{run_id}"


def check_alert_id(run_id: str, check: FailedCheck) -> str:
    partition = f"[{check.partition}]" if check.partition else ""
    return f"{run_id}/check/{check.asset}/{check.check}{partition}"


def run_alert_id(run_id: str) -> str:
    return f"{run_id}/run"


def _sentence(text: str, limit: int = ERROR_CHARS) -> str:
    """One line, ending in a full stop, for the Slack text."""
    line = " ".join(text.split())[:limit]
    return line if line.endswith((".", "!", "?")) else line + "."


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _run_fields(run: dg.DagsterRun, ui_url: str) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "run_status": run.status.value,
        "run_url": run_url(ui_url, run.run_id),
        "source": SOURCE,
    }


def check_alert(run: dg.DagsterRun, check: FailedCheck, ui_url: str) -> dict[str, Any]:
    """The JSON body for one failed check: Slack-compatible `text` plus structured fields."""
    counts = ", ".join(f"{key}={value:g}" for key, value in check.failing_counts.items())
    text = (
        f"{_SEVERITY_EMOJI.get(check.severity, ':red_circle:')} *{check.severity}*: check `{check.check}` "
        f"failed on `{check.asset}`{f' [{check.partition}]' if check.partition else ''} "
        f"(job `{run.job_name}`, run `{run.run_id[:8]}`)."
        + (f" {_sentence(check.description)}" if check.description else "")
        + (f" Counts: {counts}." if counts else "")
        + f" <{run_url(ui_url, run.run_id)}|Open the run in Dagster>"
    )
    return {
        "text": text,
        "alert_id": check_alert_id(run.run_id, check),
        "kind": "check_failed",
        "check": check.check,
        "asset": check.asset,
        "severity": check.severity,
        "blocking": check.blocking,
        "partition": check.partition,
        "description": check.description,
        "failing_counts": check.failing_counts,
        "occurred_at": _iso(check.evaluated_at),
        **_run_fields(run, ui_url),
    }


def _stopping_check(steps: list[FailedStep], checks: list[FailedCheck]) -> FailedCheck | None:
    """The failed blocking ERROR check that failed its step, if any (a step may run several checks)."""
    in_failed_steps = {check for step in steps for check in step.checks}
    return next(
        (
            c
            for c in checks
            if c.blocking and c.severity == "ERROR" and f"{c.asset}:{c.check}" in in_failed_steps
        ),
        None,
    )


def run_failure_alert(
    run: dg.DagsterRun,
    failure_message: str | None,
    steps: list[FailedStep],
    checks: list[FailedCheck],
    ended_at: float,
    ui_url: str,
) -> dict[str, Any]:
    """The JSON body for a failed run. `check` names the blocking check that stopped it, if one did."""
    assets = sorted({asset for step in steps for asset in step.assets})
    stopping = _stopping_check(steps, checks)
    first_error = next((step for step in steps if step.error), None)
    detail = (
        f" Step `{first_error.step}`: {_sentence(first_error.error, 300)}"
        if first_error
        else (f" {_sentence(failure_message, 300)}" if failure_message else "")
    )
    text = (
        f":rotating_light: *ERROR*: run of job `{run.job_name}` failed (run `{run.run_id[:8]}`)."
        + (f" Assets: {', '.join(f'`{a}`' for a in assets)}." if assets else "")
        + detail
        + f" <{run_url(ui_url, run.run_id)}|Open the run in Dagster>"
    )
    return {
        "text": text,
        "alert_id": run_alert_id(run.run_id),
        "kind": "run_failed",
        "check": stopping.check if stopping else None,
        "asset": stopping.asset if stopping else (assets[0] if assets else None),
        "assets": assets,
        "severity": "ERROR",
        "error": (failure_message or "")[:ERROR_CHARS],
        "failed_steps": [
            {"step": s.step, "assets": s.assets, "checks": s.checks, "error": s.error} for s in steps
        ],
        "failing_counts": {"failed_steps": len(steps)},
        "occurred_at": _iso(ended_at),
        **_run_fields(run, ui_url),
    }
