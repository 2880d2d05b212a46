"""Where dlt keeps what it extracts: its own DuckDB file per CRM, beside the warehouse, never in it.

`<warehouse folder>/dlt/<crm>_extract.duckdb` holds dlt's tables (schema = the CRM's name), its load ledger
and its incremental state, plus the mapping's own ledger (schema `mapping`, see mapping.py). The
warehouse file is never opened here, so its single-writer lock is never contended.
"""

from __future__ import annotations

from pathlib import Path

import dlt
from dlt.common.configuration.container import Container
from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
from dlt.common.runtime import telemetry


def staging_dir(warehouse: Path) -> Path:
    """dlt's folder: `dlt/` beside the warehouse file."""
    return warehouse.parent / "dlt"


def staging_database(warehouse: Path, crm: str) -> Path:
    # Not `<crm>.duckdb` nor `<crm>_staging.duckdb`: DuckDB names the catalog after the file, and a
    # catalog named like dlt's dataset (or its merge staging dataset) makes every reference ambiguous.
    return staging_dir(warehouse) / f"{crm}_extract.duckdb"


def disable_telemetry() -> None:
    """Turn dlt's anonymous usage telemetry off for this process, whatever the environment says.

    dlt reads the setting when it initialises its runtime (at the first pipeline), so the in-memory
    config value alone is not enough once that happened: the runtime is initialised again with it.
    """
    dlt.config["runtime.dlthub_telemetry"] = False
    telemetry.stop_telemetry()
    Container()[PluggableRunContext].initialize_runtime()


def crm_pipeline(crm: str, warehouse: Path) -> dlt.Pipeline:
    """The dlt pipeline of one CRM: DuckDB destination in the staging folder, dataset = the CRM's name."""
    disable_telemetry()
    folder = staging_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=f"sales_{crm}",
        destination=dlt.destinations.duckdb(str(staging_database(warehouse, crm))),
        dataset_name=crm,
        pipelines_dir=str(folder / "pipelines"),
        progress=dlt.progress.log(dump_system_stats=False),
    )
