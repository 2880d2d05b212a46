"""One asset group per CRM: dlt's extraction (through dagster-dlt), then the mapping to canonical events.

- `<crm>/<table>` (one per dlt table, a multi-asset): extract what changed since the last sync into
  dlt's own DuckDB file beside the warehouse (never the warehouse: no pool needed).
- `<crm>/canonical_events`: map it to canonical events as Parquet in `$SALES_LANDING_DIR/<crm>/`,
  which the raw ingestion then loads like any landing file (it depends on this asset).
"""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, build_dlt_asset_specs
from dagster_dlt.translator import DltResourceTranslatorData
from dlt.extract.source import DltSource

from dagster_project.defs.owners import DATA_ENGINEERING
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.run_log import STORY
from dagster_project.lib.sources.hubspot import HubSpotSettings, hubspot_mapping, hubspot_source
from dagster_project.lib.sources.mapping import CrmMapping, SyncResult, map_to_landing
from dagster_project.lib.sources.salesforce import SalesforceSettings, salesforce_mapping, salesforce_source
from dagster_project.lib.sources.staging import crm_pipeline, staging_database

CRM_EVENT_KEYS = [
    dg.AssetKey(["hubspot", "canonical_events"]),
    dg.AssetKey(["salesforce", "canonical_events"]),
]
# What turns each CRM on (read when the definitions load).
SWITCHES = {
    "hubspot": "SALES_HUBSPOT_TOKEN",
    "salesforce": "SALES_SALESFORCE_INSTANCE_URL and _TOKEN, or _EXPORT_DIR",
}


class MappingConfig(dg.Config):
    remap_all: bool = False  # map every record again (after editing a seed table, say), not only what changed


class CrmTranslator(DagsterDltTranslator):
    """dlt table `t` of CRM `c` is the asset `c/t` in group `c`, with no upstream."""

    def __init__(self, crm: str) -> None:
        self.crm = crm

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        table = data.resource.name
        return (
            super()
            .get_asset_spec(data)
            .replace_attributes(
                key=dg.AssetKey([self.crm, table]),
                deps=[],
                group_name=self.crm,
                kinds={"dlt", "duckdb"},
                owners=DATA_ENGINEERING,
                description=f"dlt's `{table}` table of {self.crm}: every record read so far, in "
                f"<warehouse folder>/dlt/{self.crm}_extract.duckdb (docs/sources.md).",
            )
        )


def _result_metadata(result: SyncResult) -> dict[str, dg.MetadataValue]:
    lines = ["| object | status | reason | records |", "|---|---|---|---|"]
    lines += [f"| {o} | {s} | {r} | {n} |" for o, s, r, n in result.reasons[:20]]
    return {
        "sync_id": dg.MetadataValue.text(result.sync_id),
        "records": dg.MetadataValue.int(result.records),
        "records_mapped": dg.MetadataValue.int(result.mapped),
        "records_no_event": dg.MetadataValue.int(result.no_event),
        "records_rejected": dg.MetadataValue.int(result.rejected),
        "events": dg.MetadataValue.int(result.events),
        "events_file": (
            dg.MetadataValue.path(str(result.events_file))
            if result.events_file
            else dg.MetadataValue.text("none: no events this sync")
        ),
        "not_mapped": dg.MetadataValue.md("\n".join(lines) if result.reasons else "_every record mapped_"),
    }


def crm_assets(
    crm: str,
    definition_source: DltSource,
    source_of: Callable[[object], DltSource],
    mapping_of: Callable[[object], CrmMapping],
) -> list[dg.AssetsDefinition]:
    """The extraction multi-asset and the mapping asset of one CRM, whose resource key is `crm`.

    `definition_source` gives the asset keys (building it requests nothing); the run builds the
    real source from the resource's settings with `source_of`.
    """
    translator = CrmTranslator(crm)
    # One sync of a CRM at a time (pools default to a limit of 1: dagster_home/dagster.yaml): two runs
    # would race on dlt's state and its DuckDB file. The warehouse is not touched, so not its pool.
    pool = f"{crm}_sync"
    specs = build_dlt_asset_specs(definition_source, None, translator)

    def source_settings(context) -> HubSpotSettings | SalesforceSettings:
        return getattr(context.resources, crm).settings()  # checked: a bad value names its variable

    @dg.multi_asset(
        name=f"{crm}_extract",
        specs=specs,
        can_subset=False,  # a sync extracts every table: a partial one would move the cursors of the rest
        pool=pool,
        required_resource_keys={crm, "dlt", "warehouse"},
        description=f"Extract what changed in {crm} since the last sync (dlt, into its own DuckDB file).",
    )
    def extract(context: dg.AssetExecutionContext):
        settings = source_settings(context)
        warehouse: WarehouseResource = context.resources.warehouse
        pipeline = crm_pipeline(crm, warehouse.settings().warehouse)
        dlt: DagsterDltResource = context.resources.dlt
        yield from dlt.run(context=context, dlt_source=source_of(settings), dlt_pipeline=pipeline,
                           dagster_dlt_translator=translator)  # fmt: skip

    @dg.asset(
        key=[crm, "canonical_events"],
        deps=[spec.key for spec in specs],
        group_name=crm,
        kinds={"duckdb", "parquet"},
        owners=DATA_ENGINEERING,
        pool=pool,
        required_resource_keys={crm, "warehouse"},
        description=(
            f"Map the {crm} records of this sync to canonical events: Parquet in SALES_LANDING_DIR/{crm}/; "
            "every record mapped, without event, or rejected with its reason (docs/sources.md)."
        ),
    )
    def canonical_events(context: dg.AssetExecutionContext, config: MappingConfig) -> dg.MaterializeResult:
        settings = context.resources.warehouse.settings()
        result = map_to_landing(
            mapping_of(source_settings(context)),
            staging_database(settings.warehouse, crm),
            settings.landing_dir,
            now=datetime.now(UTC).replace(tzinfo=None),
            remap_all=config.remap_all,
        )
        context.log.info(
            f"{crm}: {result.records} records: {result.mapped} mapped into {result.events} events, "
            f"{result.no_event} without event, {result.rejected} rejected",
            extra=STORY,  # the line `make run` prints for this stage
        )
        if result.rejected:
            context.log.warning(
                f"{crm}: {result.rejected} records rejected; reasons in this asset's metadata"
            )
        return dg.MaterializeResult(metadata=_result_metadata(result))

    return [extract, canonical_events]


def hubspot_assets() -> list[dg.AssetsDefinition]:
    return crm_assets(
        "hubspot",
        hubspot_source(HubSpotSettings(token="definitions-only")),
        hubspot_source,
        hubspot_mapping,
    )


def salesforce_assets() -> list[dg.AssetsDefinition]:
    return crm_assets(
        "salesforce",
        salesforce_source(
            SalesforceSettings(instance_url="https://login.salesforce.com", token="definitions-only")
        ),
        salesforce_source,
        lambda settings: salesforce_mapping(),
    )


def switched_off(crm: str) -> dg.AssetSpec:
    """A CRM that is off: its events asset, external, says how to turn it on (the raw layer names it)."""
    return dg.AssetSpec(
        [crm, "canonical_events"],
        group_name=crm,
        owners=DATA_ENGINEERING,
        description=f"{crm} extraction is off: set {SWITCHES[crm]} and reload (docs/sources.md).",
    )
