"""One home per concept: the metric catalogue and the event vocabulary live in Python
(lib/metrics_catalog.py, lib/vocabulary.py); the dbt project repeats them where SQL needs them, and
these tests hold every copy to the one home."""

from __future__ import annotations

import json
import re

from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.metrics_catalog import METRIC_KEYS, METRICS
from dagster_project.lib.settings import DBT_PROJECT_DIR
from dagster_project.lib.vocabulary import DIRECTIONS, EVENT_TYPES, PURPOSES


def manifest() -> dict:
    return json.loads(dbt_project().manifest_path.read_text())


def accepted_values(model: str, column: str) -> list[str]:
    """The values a model's row_rules test accepts in the column (dbt/tests/generic/row_rules.sql)."""
    for node in manifest()["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if (
            node["resource_type"] == "test"
            and metadata.get("name") == "row_rules"
            and node.get("attached_node", "").endswith(f".{model}")
            and column in (metadata["kwargs"].get("accepted_values") or {})
        ):
            return metadata["kwargs"]["accepted_values"][column]
    raise AssertionError(f"no accepted values for {model}.{column}")


def test_the_metric_keys_macro_lists_the_catalogue_in_order():
    macro = (DBT_PROJECT_DIR / "macros" / "metrics.sql").read_text()
    body = macro[macro.index("macro metric_keys()") :]
    keys = re.findall(r"'([a-z0-9_]+)'", body[: body.index("endmacro")])
    assert tuple(keys) == METRIC_KEYS


def test_every_metric_is_a_mart_and_every_mart_a_metric():
    marts = {
        node["name"]
        for node in manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts" and node["name"] != "metric_values"
        and "/marts/" in "/" + node["original_file_path"]
    }  # fmt: skip
    assert marts == set(METRIC_KEYS)
    assert accepted_values("metric_values", "metric") == list(METRIC_KEYS)


def test_every_catalogue_entry_is_complete():
    for metric in METRICS:
        assert metric.title and metric.definition, metric.key
        assert metric.kind in {"count", "mean", "rate"} and metric.better in {"up", "down"}


def test_the_dbt_project_accepts_exactly_the_vocabulary():
    assert accepted_values("stg_sales_events", "event_type") == EVENT_TYPES
    assert accepted_values("stg_sales_events", "direction") == DIRECTIONS
    assert accepted_values("stg_sales_events", "purpose") == PURPOSES


def test_the_vocabulary_macro_stores_exactly_the_vocabulary():
    macro = (DBT_PROJECT_DIR / "macros" / "types.sql").read_text()
    body = macro[macro.index("macro vocabulary(name)") :]
    body = body[: body.index("endmacro")]
    stored = {
        name: re.findall(r"'([a-z_]+)'", values)
        for name, values in re.findall(r"'(\w+)': \[([^\]]*)\]", body)
    }
    assert stored.pop("contact_status") == ["prospect", "customer"]  # int_activities' own
    assert sorted(accepted_values("int_activities", "contact_status")) == ["customer", "prospect"]
    assert stored == {"event_type": EVENT_TYPES, "direction": DIRECTIONS, "purpose": PURPOSES}
