"""Which engine builds the dbt models (docs/scale.md): the target, its command-line flags and environment.

`duckdb` (the default) builds everything inside the warehouse file. `spark` runs Spark inside the dbt
process (local mode) and `spark_thrift` sends the SQL to a cluster's Thrift server; both read the raw
layer from the lake (lib/ingestion/lake.py) and leave their models as Parquet under
`<spark dir>/export/<schema>/<model>/` (dbt/macros/export.sql), which `lib/spark/mirror.py` turns into
views of the warehouse for the engine-neutral readers (publishing, quality checks).

Pure functions: the caller passes what the settings hold and gets back what to hand to dbt (its
--target flag and vars; Java's location, the one thing that must be in the environment).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.lib.ingestion.lake import check_lake, default_lake_dir, sync_lake
from dagster_project.lib.spark.reference import export_reference_tables
from dagster_project.lib.sql import has_table

ENV_VAR = "SALES_DBT_TARGET"
DEFAULT_TARGET = "duckdb"
SPARK_TARGETS = ("spark", "spark_thrift")
TARGETS = (DEFAULT_TARGET, *SPARK_TARGETS)  # the outputs of dbt/profiles.yml

# Spark 4 runs on Java 17 or 21; the JDK Debian installs as `openjdk-17-jdk-headless`.
DEFAULT_JAVA_HOME = Path("/usr/lib/jvm/java-17-openjdk-amd64")


def parse_target(text: str | None) -> str:
    """The value of SALES_DBT_TARGET: empty means the default; anything else must be a profile output."""
    value = (text or "").strip() or DEFAULT_TARGET
    if value not in TARGETS:
        raise ValueError(
            f"{ENV_VAR}={text!r} is not a dbt target of dbt/profiles.yml: use one of {', '.join(TARGETS)} "
            f"(unset means {DEFAULT_TARGET})."
        )
    return value


def default_spark_dir(warehouse: Path) -> Path:
    """Beside the warehouse file: `<data folder>/spark` (Spark's tables, metastore and export)."""
    return warehouse.parent / "spark"


@dataclass(frozen=True)
class DbtTarget:
    """A dbt target with the folders it reads and writes, all absolute."""

    name: str
    warehouse: Path
    lake_dir: Path
    spark_dir: Path

    @classmethod
    def resolve(
        cls,
        target: str | None,
        warehouse: Path,
        lake_dir: Path | None = None,
        spark_dir: Path | None = None,
    ) -> DbtTarget:
        warehouse = Path(warehouse).absolute()
        return cls(
            name=parse_target(target),
            warehouse=warehouse,
            lake_dir=Path(lake_dir or default_lake_dir(warehouse)).absolute(),
            spark_dir=Path(spark_dir or default_spark_dir(warehouse)).absolute(),
        )

    @property
    def is_spark(self) -> bool:
        return self.name in SPARK_TARGETS

    @property
    def export_dir(self) -> Path:
        """Where the Spark targets leave their models as Parquet (dbt/macros/export.sql)."""
        return self.spark_dir / "export"

    def cli_args(self) -> list[str]:
        """Flags for every dbt command: the target, whatever the profile's default is."""
        return ["--target", self.name]

    def dbt_vars(self) -> dict[str, object]:
        """dbt vars the Spark targets read (profiles.yml, macros/raw_source.sql, macros/export.sql),
        beside lib/dbt_build.py's; none for DuckDB, whose build is configured as before. The target's
        name is among them so that a build's fingerprint changes with the engine, and the loads held
        out of staging, which Spark cannot read from the warehouse."""
        if not self.is_spark:
            return {}
        return {
            "dbt_target": self.name,
            "lake_dir": str(self.lake_dir),
            "spark_dir": str(self.spark_dir),
            "held_load_ids": held_load_ids(self.warehouse),
        }

    def prepare_build(self) -> dict[str, object]:
        """Before a build: the Spark targets get every load the lake lacks (lib/ingestion/lake.py:
        those made while the target was DuckDB, or by a load without the lake) and the warehouse's
        small raw tables as Parquet (lib/spark/reference.py); returns the dbt vars saying which
        tables exist. Nothing for DuckDB, which reads the warehouse itself."""
        if not self.is_spark or not self.warehouse.exists():
            return {}
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            if has_table(con, "raw", "loaded_files"):
                check_lake(con, self.lake_dir)
                sync_lake(con, self.lake_dir)
        return {"reference_tables": export_reference_tables(self.warehouse, self.spark_dir)}


def held_load_ids(warehouse: Path) -> list[int]:
    """The loads staging leaves out (the warehouse's raw.held_load_ids, lib/ingestion/gate.py)."""
    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not has_table(con, "raw", "held_load_ids"):
            return []
        return [row[0] for row in con.execute("select load_id from raw.held_load_ids order by 1").fetchall()]


def java_environment(current: Mapping[str, str] | None = None) -> dict[str, str]:
    """What to add to the environment of a process that starts Spark: JAVA_HOME = Java 17 when it
    is unset and that JDK is installed (otherwise pyspark takes the `java` on PATH)."""
    current = os.environ if current is None else current
    if current.get("JAVA_HOME") or not DEFAULT_JAVA_HOME.is_dir():
        return {}
    return {"JAVA_HOME": str(DEFAULT_JAVA_HOME)}
