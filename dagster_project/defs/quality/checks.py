"""The Great Expectations suites of data_quality/ as Dagster asset checks: two multi-asset checks.

`gx_raw_checks` checks the raw layer once the load is done, whatever the dbt build does;
`gx_reconciliation_checks` reconciles staging with raw and the marts with staging after the build
(data_quality/checks.py, CHECKS_BY_STEP). A run imports GX (seconds) once per process, not once per
check; GX is imported inside the op, so loading the definitions stays fast. Checks are named
`gx_...`, never a dbt test's name. Every op reads the warehouse read-only, in the warehouse pool.
"""

import time

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.ingestion.gate import files_read_by_run, read_active_holds
from dagster_project.lib.metadata import check_metadata
from dagster_project.lib.run_log import STORY
from data_quality.checks import CHECKS_BY_STEP, QualityCheck, checks_story
from data_quality.context import CheckContext
from data_quality.data_docs import INDEX

RAW_EVENTS = dg.AssetKey(["raw", "sales_events"])


def _check_key(check: QualityCheck) -> dg.AssetCheckKey:
    return dg.AssetCheckKey(dg.AssetKey(check.asset_path), check.name)


def step_checks(step: str, checks: list[QualityCheck]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=f"gx_{step}_checks",
        specs=[
            dg.AssetCheckSpec(
                check.name,
                asset=check.asset_path,
                description=check.description,
                metadata={"severity": check.severity, "suite": f"data_quality/suites/{check.layer}.py"},
            )
            for check in checks
        ],
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description="Great Expectations suites of the "
        + " and ".join(
            f"{layer} layer (data_quality/suites/{layer}.py)"
            for layer in dict.fromkeys(c.layer for c in checks)
        )
        + ".",
    )
    def _step_checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        started = time.monotonic()
        if step == "raw" and _nothing_loaded_by_this_run(context, warehouse.settings()):
            # The raw layer is as the last check saw it (a future event only gets closer to now):
            # its results stand, and a run with nothing new does not pay for starting GX.
            context.log.info("Checks (raw): no new file, nothing to check.", extra=STORY)
            return
        from data_quality.runner import run_checks  # imports GX: seconds, paid once per process

        imported = time.monotonic()
        settings = warehouse.settings()
        docs_dir = settings.data_docs_dir
        selected = [c for c in checks if _check_key(c) in context.selected_asset_check_keys]
        # The raw layer's step also tells the Data Docs which loads are held out of the marts.
        notices = [hold.line() for hold in read_active_holds(settings.warehouse)] if step == "raw" else None
        outcomes = run_checks(
            selected,
            settings.warehouse,
            CheckContext.from_settings(settings, context.run.run_id),
            docs_dir,
            notices,
        )
        context.log.debug(
            f"GX {step}: {imported - started:.1f} s importing GX; Data Docs: {docs_dir / INDEX}"
        )
        context.log.info(checks_story(outcomes, time.monotonic() - imported), extra=STORY)
        for outcome in outcomes:
            yield dg.AssetCheckResult(
                asset_key=dg.AssetKey(outcome.check.asset_path),
                check_name=outcome.check.name,
                passed=outcome.passed,
                severity=dg.AssetCheckSeverity(outcome.check.severity),
                description=outcome.summary,
                metadata=check_metadata(outcome, docs_dir),
            )

    return _step_checks


def _nothing_loaded_by_this_run(context: dg.AssetCheckExecutionContext, settings) -> bool:
    """True when this run's own ingestion read no file (a check-only run always checks)."""
    ingested = RAW_EVENTS in context.op_execution_context.job_def.asset_layer.selected_asset_keys
    return ingested and files_read_by_run(settings.warehouse, context.run.run_id) == 0


quality_checks = [step_checks(step, checks) for step, checks in CHECKS_BY_STEP.items()]

defs = dg.Definitions(asset_checks=quality_checks)
