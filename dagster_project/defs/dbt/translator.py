"""Asset keys, groups, owners and descriptions of the dbt models and their tests, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from dagster_project.defs.owners import DATA_ENGINEERING, SALES_ANALYTICS

OWNERS_BY_SCHEMA = {"marts": SALES_ANALYTICS}

# What a generic dbt test asserts, in words; {column} and the test's arguments fill it.
_GENERIC_TESTS = {
    "not_null": "{column} is never null",
    "unique": "{column} is unique",
    "accepted_values": "{column} is one of {values}",
    "is_between": "{column} is within [{min_value}, {max_value}]",
    "at_most": "{column} is at most {max_value}",
    "expression_is_true": "every row satisfies: {expression}",
    "unique_combination": "one row per ({combination_of_columns})",
    "no_gaps": "every month of the spine appears for every slice",
    "value_is_ratio": "value = numerator / denominator (the count itself for counts)",
    "not_null_columns": "none of {columns} is null",
    "metric_mart_shape": (
        "the {kind} mart's shape: one row per slice and month, no month missing, value = numerator / "
        "denominator, accepted dimensions, nulls and bounds (dbt/tests/generic/metric_mart_shape.sql)"
    ),
    "relationships": "{column} refers to an existing {field} of {to}",
}


def describe_dbt_test(test: Mapping[str, Any]) -> str:
    """A test's own description, or a sentence made from its generic test and arguments."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    template = _GENERIC_TESTS.get(metadata.get("name", ""))
    if template is None:
        return f"dbt test {test['name']}"
    arguments = {key: value for key, value in (metadata.get("kwargs") or {}).items() if key != "model"}
    arguments = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in arguments.items()}
    arguments.setdefault("column", test.get("column_name") or arguments.get("column_name") or "the row")
    try:
        return "dbt test: " + template.format_map(arguments)
    except KeyError:
        return f"dbt test {metadata['name']} ({test['name']})"


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
            owners=OWNERS_BY_SCHEMA.get(props["schema"], DATA_ENGINEERING),
            kinds={"dbt", "duckdb"},
        )

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_dbt_test(manifest["nodes"][unique_id]))
