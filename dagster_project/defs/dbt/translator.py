"""Asset keys, groups and descriptions of the dbt models, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject


class SalesDbtTranslator(DagsterDbtTranslator):
    """Models are keyed `<schema>/<model>` (staging/stg_sales_events, marts/metric_values) and
    grouped by schema; sources keep the key their `meta.dagster.asset_key` names (raw/sales_events),
    which is the ingestion asset's, so the graph is one connected graph."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] != "model":
            return spec
        return spec.replace_attributes(
            key=dg.AssetKey([props["schema"], props["name"]]),
            group_name=props["schema"],
            kinds={"dbt", "duckdb"},
        )
