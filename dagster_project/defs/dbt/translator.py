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
    "no_gaps": "every month of the spine appears for every slice",
    "metric_mart_shape": (
        "the {kind} mart's shape: one row per slice and month, no month missing, value = numerator / "
        "denominator, accepted dimensions, nulls and bounds (dbt/tests/generic/metric_mart_shape.sql)"
    ),
    "relationships": "{column} refers to an existing {field} of {to}",
}


def _row_rules(test: Mapping[str, Any], arguments: Mapping[str, Any]) -> str:
    latest = arguments.get("of_latest_batch") or "__latest_batch__" in (
        (test.get("config") or {}).get("where") or ""
    )
    rules = []
    if arguments.get("key"):
        rules.append(f"one row per ({', '.join(arguments['key'])})")
    key_not_null = [
        column for column in arguments.get("key") or [] if column not in (arguments.get("nullable") or [])
    ]
    never_null = list(dict.fromkeys([*key_not_null, *(arguments.get("not_null") or [])]))
    if never_null:
        rules.append(f"never null: {', '.join(never_null)}")
    for column, values in (arguments.get("accepted_values") or {}).items():
        rules.append(f"{column} is one of {', '.join(map(str, values))}")
    for column, (low, high) in (arguments.get("bounds") or {}).items():
        rules.append(f"{column} within [{'-inf' if low is None else low}, {'inf' if high is None else high}]")
    rules.extend(arguments.get("expressions") or {})
    rows = "every row of the latest build (its keys looked up in the whole table)" if latest else "every row"
    return f"{rows}: " + "; ".join(rules) + " (dbt/tests/generic/row_rules.sql)"


# The project's test with several rules (dbt/tests/generic/row_rules.sql): a sentence per rule.
_RULE_TESTS = {"row_rules": _row_rules}


def describe_dbt_test(test: Mapping[str, Any]) -> str:
    """A test's own description, or a sentence made from its generic test and arguments."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    arguments = {key: value for key, value in (metadata.get("kwargs") or {}).items() if key != "model"}
    if metadata.get("name") in _RULE_TESTS:
        return "dbt test: " + _RULE_TESTS[metadata["name"]](test, arguments)
    template = _GENERIC_TESTS.get(metadata.get("name", ""))
    if template is None:
        return f"dbt test {test['name']}"
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
