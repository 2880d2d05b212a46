"""BI tools that go through SQLAlchemy (Superset creating a dataset, ...) reflect the columns of
`sales.duckdb` with duckdb-engine, at the versions docs/bi.md recommends (those of the lock)."""

from __future__ import annotations

import sqlalchemy as sa

from dagster_project.lib.serving import publish
from tests.test_serving import make_warehouse


def test_sqlalchemy_reflects_the_served_views_and_their_columns(tmp_path):
    warehouse = make_warehouse(tmp_path / "warehouse.duckdb", run=1)
    serving = tmp_path / "serving"
    published = publish.publish_marts(warehouse, serving, switch_margin_s=0.1)

    engine = sa.create_engine(f"duckdb:///{serving / 'sales.duckdb'}", connect_args={"read_only": True})
    try:
        inspector = sa.inspect(engine)
        assert {"conversations", "metric_values"} <= set(inspector.get_view_names(schema="marts"))
        columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("metric_values", schema="marts")}
        assert columns == {
            "metric": "VARCHAR",
            "run": "INTEGER",
            "period_start": "DATE",
            "dimension": "VARCHAR",
            "dimension_value": "VARCHAR",
            "numerator": "FLOAT",
            "denominator": "FLOAT",
            "value": "FLOAT",
        }  # fmt: skip  (SQLAlchemy names DuckDB's DOUBLE with its generic FLOAT)
        with engine.connect() as connection:
            rows = connection.execute(sa.text("select count(*) from marts.metric_values")).scalar()
        assert rows == published.row_counts["metric_values"] > 0
    finally:
        engine.dispose()
