"""The Great Expectations suites of data_quality/ as Dagster asset checks: one multi-asset check a layer.

One op a layer, so a run imports GX (seconds) once per process, not once per check; GX is imported
inside the op, so loading the definitions stays fast. Checks are named `gx_...`, never a dbt
test's name. Every op reads the warehouse read-only, in the warehouse pool.
"""

import math
import time
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg

from dagster_project.settings import WAREHOUSE_POOL, Settings
from data_quality.checks import CHECKS_BY_LAYER, QualityCheck
from data_quality.context import CheckContext
from data_quality.data_docs import INDEX, data_docs_dir

if TYPE_CHECKING:  # pandas loads with the checks' frames, not with the definitions
    import pandas as pd

MARKDOWN_ROWS = 20  # rows of an aggregate or a sample shown in metadata


def _markdown(frame: "pd.DataFrame") -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    shown = frame.head(MARKDOWN_ROWS)
    more = f"\n\n_{len(frame) - MARKDOWN_ROWS} more rows_" if len(frame) > MARKDOWN_ROWS else ""
    return dg.MetadataValue.md(shown.to_markdown(index=False) + more)


def _number(value) -> dg.MetadataValue | None:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return dg.MetadataValue.int(value) if isinstance(value, int) else dg.MetadataValue.float(value)


def _failures_table(outcome) -> str:
    lines = [
        "| expectation | column | rule | unexpected | affected rows | unexpected aggregate rows (sample) |",
        "|---|---|---|---|---|---|",
    ]
    for f in outcome.failures:
        unexpected = f.error or (
            f"{f.unexpected_count} of {f.element_count}"
            if f.unexpected_count is not None
            else f"observed {f.observed_value}"
        )
        sample = "<br>".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in f.unexpected_rows)
        cells = [f.description, f.column or "", f.rule, unexpected, f.affected_rows, sample]
        lines.append(
            "| " + " | ".join(str(c if c is not None else "").replace("|", "\\|") for c in cells) + " |"
        )
    return "\n".join(lines)


def check_metadata(outcome, docs_dir: Path | None) -> dict[str, dg.MetadataValue]:
    """What a person needs to act: which expectations failed, how many rows, samples, where the docs are."""
    metadata: dict[str, dg.MetadataValue] = {"summary": dg.MetadataValue.text(outcome.summary)}
    if outcome.note:
        metadata["note"] = dg.MetadataValue.text(outcome.note)
    if outcome.evaluated:
        failed = len(outcome.failures)
        metadata["expectations"] = dg.MetadataValue.text(f"{failed} of {outcome.evaluated} failed")
    if outcome.failures:
        metadata["failed_expectations"] = dg.MetadataValue.md(_failures_table(outcome))
        metadata["unexpected_count"] = dg.MetadataValue.int(outcome.unexpected_count)
        if outcome.affected_rows is not None:
            metadata["affected_rows"] = dg.MetadataValue.int(outcome.affected_rows)
    if outcome.frame is not None:
        if len(outcome.frame) == 1:  # a one-row aggregate: its figures, e.g. reject_share
            for column, value in outcome.frame.iloc[0].items():
                number = _number(value)
                if number is not None:
                    metadata[str(column)] = number
        metadata["aggregate"] = _markdown(outcome.frame)
    for name, sample in outcome.samples.items():
        metadata[name] = _markdown(sample)
    if outcome.data_docs_page:
        metadata["data_docs_page"] = dg.MetadataValue.path(str(outcome.data_docs_page))
    if docs_dir is not None:
        metadata["data_docs_index"] = dg.MetadataValue.path(str(docs_dir.resolve() / INDEX))
    return metadata


def _check_key(check: QualityCheck) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(check.asset_path), check.name)


def layer_checks(layer: str, checks: list[QualityCheck]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=f"gx_{layer}_checks",
        specs=[
            dg.AssetCheckSpec(
                check.name,
                asset=check.asset_path,
                description=check.description,
                metadata={"severity": check.severity, "suite": f"data_quality/suites/{layer}.py"},
            )
            for check in checks
        ],
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description=f"Great Expectations suites of the {layer} layer (data_quality/suites/{layer}.py).",
    )
    def _layer_checks(context: dg.AssetCheckExecutionContext):
        started = time.monotonic()
        from data_quality.runner import run_checks  # imports GX: seconds, paid once per process

        imported = time.monotonic()
        settings = Settings.from_env()
        docs_dir = data_docs_dir(settings)
        selected = [c for c in checks if _check_key(c) in context.selected_asset_check_keys]
        outcomes = run_checks(
            selected, settings.warehouse, CheckContext.from_settings(settings, context.run.run_id), docs_dir
        )
        context.log.info(
            f"GX {layer}: {len(outcomes)} checks in {time.monotonic() - imported:.1f}s "
            f"(+{imported - started:.1f}s importing GX); Data Docs: {docs_dir / INDEX}"
        )
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(outcome.check.asset_path),
                check_name=outcome.check.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity(outcome.check.severity),
                description=outcome.summary,
                metadata=check_metadata(outcome, docs_dir),
            )

    return _layer_checks


quality_checks = [layer_checks(layer, checks) for layer, checks in CHECKS_BY_LAYER.items()]

defs = dg.Definitions(asset_checks=quality_checks)
