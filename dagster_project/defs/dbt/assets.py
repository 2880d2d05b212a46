"""The dbt models (staging, intermediate, marts) as Dagster assets, built with `dbt build`."""

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets

from dagster_project.lib.load_gate import held_load_reason
from dagster_project.lib.warehouse import table_metadata
from dagster_project.settings import WAREHOUSE_POOL, Settings

from .fingerprint import FINGERPRINT_KEY, LAST_MART, build_fingerprint, last_fingerprint
from .project import dbt_project
from .translator import SalesDbtTranslator

DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


def dbt_vars(settings: Settings) -> dict[str, str]:
    """The dbt vars that differ from dbt_project.yml's defaults."""
    if settings.as_of is None:
        return {}
    return {"as_of": settings.as_of.isoformat(sep=" ")}


def dbt_build_args(settings: Settings) -> list[str]:
    # dbt unit tests pin the SQL, not the data: they run in the test suite, not in every run.
    args = ["build", "--exclude-resource-type", "unit_test"]
    variables = dbt_vars(settings)
    if variables:
        args += ["--vars", json.dumps(variables)]
    return args


def _with_table_metadata(context: dg.AssetExecutionContext, events: list, warehouse, fingerprint) -> Iterator:
    """Add row counts and previews to the models' events once dbt has released the DuckDB file, and
    the build's fingerprint to the last mart (only a complete build is reused by the next run)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for event in events:
            if isinstance(event, dg.Output):
                key = context.asset_key_for_output(event.output_name)
                schema, table = key.path
                metadata = {**event.metadata}
                try:
                    metadata.update(table_metadata(con, schema, table))
                except duckdb.CatalogException:
                    pass  # a model that is not a table (ephemeral) has nothing to count
                if key == LAST_MART and fingerprint and not context.is_subset:
                    metadata[FINGERPRINT_KEY] = dg.MetadataValue.text(fingerprint)
                event = event.with_metadata(metadata)
            yield event


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=SalesDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def sales_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    settings = Settings.from_env()
    held = held_load_reason(settings.warehouse, context.run_id, settings.max_reject_share)
    if held:
        # No output: the dbt models and everything downstream are skipped, the run succeeds.
        context.log.error(held)
        return
    fingerprint = build_fingerprint(settings.warehouse, dbt_vars(settings), dbt_project().manifest_path)
    if not context.is_subset and fingerprint and fingerprint == last_fingerprint(context.instance):
        context.log.info(
            "Nothing changed since the last complete build (no new rows, same vars, same dbt project): "
            "dbt build skipped, the marts are up to date."
        )
        return
    # dbt runs in dbt/, so hand it the warehouse path resolved against the repository root.
    os.environ["SALES_WAREHOUSE"] = str(settings.warehouse)
    args = dbt_build_args(settings)
    context.log.info(f"dbt {' '.join(args)} on {settings.warehouse}")
    # dbt holds the DuckDB file while it builds: collect its events, then read the tables.
    events = list(dbt.cli(args, context=context).stream())
    fingerprint = build_fingerprint(settings.warehouse, dbt_vars(settings), dbt_project().manifest_path)
    yield from _with_table_metadata(context, events, settings.warehouse, fingerprint)


defs = dg.Definitions(
    assets=[sales_dbt_models],
    # The dbt beside this Python, so the venv needs no activation.
    resources={"dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)},
)
