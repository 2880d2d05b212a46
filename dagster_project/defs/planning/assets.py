"""The targets file into the warehouse (raw/sales_targets, raw/refused_targets), and the check that
reports its refused lines. The planning marts themselves are dbt models (dbt/models/planning)."""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from dagster_project.defs.owners import SALES_ANALYTICS
from dagster_project.defs.resources import WAREHOUSE_POOL, WarehouseResource
from dagster_project.lib.metadata import table_metadata
from dagster_project.lib.planning.store import store_targets
from dagster_project.lib.planning.targets import RefusedLine, read_targets_file

from .resources import PlanningResource

TARGETS = dg.AssetKey(["raw", "sales_targets"])
REFUSED = dg.AssetKey(["raw", "refused_targets"])
REFUSED_CHECK = "targets_file_lines_accepted"


def refused_table(refused: list[RefusedLine]) -> str:
    lines = ["| line | reason | text |", "|---|---|---|"]
    for r in refused:
        cells = [str(r.line_number), r.reason, r.raw_line[:200]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


@dg.multi_asset(
    name="sales_targets",
    specs=[
        dg.AssetSpec(TARGETS, group_name="planning", kinds={"duckdb"}, owners=SALES_ANALYTICS,
                     description="Accepted lines of SALES_TARGETS_FILE: one target per period, measure and slice."),
        dg.AssetSpec(REFUSED, group_name="planning", kinds={"duckdb"}, owners=SALES_ANALYTICS,
                     description="Refused lines of SALES_TARGETS_FILE with their line number and reason."),
    ],
    check_specs=[
        dg.AssetCheckSpec(REFUSED_CHECK, asset=TARGETS,
                          description="Every line of the targets file is a valid target (refused lines are listed)."),
    ],
    pool=WAREHOUSE_POOL,
    description="Read and check SALES_TARGETS_FILE line by line; replace raw.sales_targets and raw.refused_targets.",
)  # fmt: skip
def sales_targets(
    context: dg.AssetExecutionContext, planning: PlanningResource, warehouse: WarehouseResource
):
    settings = planning.settings()
    warehouse_file = warehouse.settings().warehouse
    parsed = read_targets_file(settings.targets_file)
    context.log.info(
        f"{settings.targets_file}: {len(parsed.targets)} targets accepted, {len(parsed.refused)} lines refused"
    )
    for r in parsed.refused:
        context.log.warning(f"{settings.targets_file} line {r.line_number} refused: {r.reason}")

    warehouse_file.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse_file)) as con:
        store_targets(con, parsed, datetime.now(UTC).replace(tzinfo=None))
        metadata = {key: table_metadata(con, *key.path) for key in (TARGETS, REFUSED)}
    counts = {
        "targets_file": dg.MetadataValue.path(str(settings.targets_file)),
        "lines_read": dg.MetadataValue.int(parsed.lines_read),
        "targets_accepted": dg.MetadataValue.int(len(parsed.targets)),
        "lines_refused": dg.MetadataValue.int(len(parsed.refused)),
    }
    yield dg.MaterializeResult(asset_key=TARGETS, metadata={**metadata[TARGETS], **counts})
    yield dg.MaterializeResult(asset_key=REFUSED, metadata={**metadata[REFUSED], **counts})
    yield dg.AssetCheckResult(
        asset_key=TARGETS,
        check_name=REFUSED_CHECK,
        passed=not parsed.refused,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(parsed.refused)} of {parsed.lines_read} lines of {settings.targets_file.name} refused; "
            "the plan goes on without them."
            if parsed.refused
            else f"All {parsed.lines_read} lines accepted."
        ),
        metadata={**counts, "refused_lines": dg.MetadataValue.md(refused_table(parsed.refused))},
    )
