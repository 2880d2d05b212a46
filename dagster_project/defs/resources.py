"""The pipeline's settings as Dagster resources: visible in the UI, checked once, passed in by tests.

Each field reads its environment variable (`dg.EnvVar`) when the variable is set, else holds the
documented default; `settings()` checks and types the values (dagster_project/lib/settings.py),
and `setup_for_execution` does it when a run starts, so a bad value fails the run within seconds,
before any work, with a message naming the variable. docs/contract.md lists every setting.
"""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from dagster_project.lib.alerts.config import AlertSettings
from dagster_project.lib.dbt_target import DEFAULT_TARGET, TARGETS, DbtTarget, java_environment, parse_target
from dagster_project.lib.recovery import recover_crashed_runs, register_worker
from dagster_project.lib.settings import DEFAULTS, ENV_VARS, Settings, resolve_path

# One writer at a time on the DuckDB file: every asset and check that opens the warehouse runs in
# this pool, whose limit is 1 (dagster_home/dagster.yaml).
WAREHOUSE_POOL = "duckdb_warehouse"

ALERT_ENV_VARS = {
    "webhook_url": "SALES_ALERT_WEBHOOK_URL",
    "ui_url": "SALES_DAGSTER_UI_URL",
    "timeout_seconds": "SALES_ALERT_TIMEOUT_SECONDS",
    "attempts": "SALES_ALERT_ATTEMPTS",
    "backoff_seconds": "SALES_ALERT_BACKOFF_SECONDS",
    "budget_seconds": "SALES_ALERT_BUDGET_SECONDS",
    "retry_seconds": "SALES_ALERT_RETRY_SECONDS",
    "max_age_hours": "SALES_ALERT_MAX_AGE_HOURS",
    "smtp_host": "SALES_ALERT_SMTP_HOST",
    "smtp_port": "SALES_ALERT_SMTP_PORT",
    "smtp_tls": "SALES_ALERT_SMTP_TLS",
    "smtp_user": "SALES_ALERT_SMTP_USER",
    "smtp_password": "SALES_ALERT_SMTP_PASSWORD",
    "email_from": "SALES_ALERT_EMAIL_FROM",
    "email_to": "SALES_ALERT_EMAIL_TO",
}


ENGINE_ENV_VARS = {
    "dbt_target": "SALES_DBT_TARGET",
    "lake_dir": "SALES_LAKE_DIR",
    "spark_dir": "SALES_SPARK_DIR",
}


def _from_env(variables: dict[str, str]) -> dict[str, dg.EnvVar]:
    """The fields whose variable is set now, as EnvVars (read again when a run starts)."""
    return {field: dg.EnvVar(variable) for field, variable in variables.items() if os.environ.get(variable)}


class WarehouseResource(dg.ConfigurableResource):
    """Where the pipeline reads and writes: landing files, the DuckDB warehouse, serving, Data Docs."""

    landing_dir: str = Field(DEFAULTS["landing_dir"], description="SALES_LANDING_DIR: incoming event files")
    warehouse: str = Field(DEFAULTS["warehouse"], description="SALES_WAREHOUSE: the DuckDB file runs build")
    serving_dir: str = Field(
        DEFAULTS["serving_dir"],
        description="SALES_SERVING_DIR: published marts (empty: beside the warehouse)",
    )
    data_docs_dir: str = Field(
        DEFAULTS["data_docs_dir"],
        description="SALES_DATA_DOCS_DIR: GX Data Docs (empty: beside the warehouse)",
    )
    as_of: str = Field(
        DEFAULTS["as_of"], description="SALES_AS_OF: recompute as of this date (empty: latest)"
    )
    max_reject_share: str = Field(
        DEFAULTS["max_reject_share"], description="SALES_MAX_REJECT_SHARE: rejected share that holds a load"
    )
    earliest_event_time: str = Field(
        DEFAULTS["earliest_event_time"],
        description="SALES_EARLIEST_EVENT_TIME: an occurred_at or updated_at before it is rejected",
    )
    future_tolerance_hours: str = Field(
        DEFAULTS["future_tolerance_hours"],
        description="SALES_FUTURE_TOLERANCE_HOURS: a time later than the load plus this is rejected",
    )
    landing_settle_seconds: str = Field(
        DEFAULTS["landing_settle_seconds"],
        description="SALES_LANDING_SETTLE_SECONDS: a landing file is loaded once unchanged for this long",
    )
    duckdb_memory_limit: str = Field(
        DEFAULTS["duckdb_memory_limit"],
        description="SALES_DUCKDB_MEMORY_LIMIT: each DuckDB process's memory; beyond it, it spills to disk",
    )
    duckdb_threads: str = Field(
        DEFAULTS["duckdb_threads"], description="SALES_DUCKDB_THREADS: DuckDB's threads (empty: one per core)"
    )
    duckdb_temp_dir: str = Field(
        DEFAULTS["duckdb_temp_dir"],
        description="SALES_DUCKDB_TEMP_DIR: where DuckDB spills (empty: tmp/ beside the warehouse)",
    )

    def settings(self) -> Settings:
        return Settings.from_values(**{field: getattr(self, field) for field in ENV_VARS})

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.settings()  # fail the run at its start on a bad value
        _recover_at_run_start(context)


def _recover_at_run_start(context: dg.InitResourceContext) -> None:
    """The run's start: resources are set up before any step claims a pool slot, so this is where a
    run records its process and frees the slots of runs that crashed (lib/recovery.py)."""
    run = context.dagster_run
    if context.instance is None or run is None:
        return  # a sensor or a test building the resource alone
    register_worker(context.instance, run.run_id)
    recover_crashed_runs(context.instance, current_run_id=run.run_id, log=context.log)


class AlertingResource(dg.ConfigurableResource):
    """Where alerts go (a webhook, optionally e-mail) and how hard delivery tries (docs/alerts.md)."""

    webhook_url: str = Field("", description="SALES_ALERT_WEBHOOK_URL (empty: alerts are only logged)")
    ui_url: str = Field("", description="SALES_DAGSTER_UI_URL: base of the run links")
    timeout_seconds: str = Field("5", description="SALES_ALERT_TIMEOUT_SECONDS")
    attempts: str = Field("3", description="SALES_ALERT_ATTEMPTS")
    backoff_seconds: str = Field("0.5", description="SALES_ALERT_BACKOFF_SECONDS")
    budget_seconds: str = Field("10", description="SALES_ALERT_BUDGET_SECONDS")
    retry_seconds: str = Field(
        "60", description="SALES_ALERT_RETRY_SECONDS: first wait before an undelivered alert is tried again"
    )
    max_age_hours: str = Field(
        "24", description="SALES_ALERT_MAX_AGE_HOURS: an undelivered alert is dropped (ERROR) after this"
    )
    smtp_host: str = Field("", description="SALES_ALERT_SMTP_HOST (e-mail is off without it)")
    smtp_port: str = Field("", description="SALES_ALERT_SMTP_PORT")
    smtp_tls: str = Field("starttls", description="SALES_ALERT_SMTP_TLS: starttls, ssl or none")
    smtp_user: str = Field("", description="SALES_ALERT_SMTP_USER")
    smtp_password: str = Field("", description="SALES_ALERT_SMTP_PASSWORD")
    email_from: str = Field("", description="SALES_ALERT_EMAIL_FROM")
    email_to: str = Field("", description="SALES_ALERT_EMAIL_TO: comma-separated recipients")

    def settings(self) -> AlertSettings:
        return AlertSettings.from_values(**{field: getattr(self, field) for field in ALERT_ENV_VARS})


class EngineResource(dg.ConfigurableResource):
    """Which engine builds the dbt models, and the files engines share (docs/scale.md)."""

    dbt_target: str = Field(
        DEFAULT_TARGET, description=f"SALES_DBT_TARGET: the dbt target, one of {', '.join(TARGETS)}"
    )
    lake_dir: str = Field(
        "", description="SALES_LAKE_DIR: the raw layer as Parquet (empty: beside the warehouse)"
    )
    spark_dir: str = Field(
        "", description="SALES_SPARK_DIR: Spark's tables, metastore and export (empty: beside the warehouse)"
    )

    def target(self, settings: Settings) -> DbtTarget:
        return DbtTarget.resolve(
            self.dbt_target,
            settings.warehouse,
            lake_dir=resolve_path(self.lake_dir) if self.lake_dir.strip() else None,
            spark_dir=resolve_path(self.spark_dir) if self.spark_dir.strip() else None,
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # A bad target fails the run at its start. Spark starts in the dbt process this run spawns,
        # which inherits the environment: Java 17 unless JAVA_HOME says otherwise.
        if parse_target(self.dbt_target) != DEFAULT_TARGET:
            os.environ.update(java_environment())


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource(**_from_env(ENV_VARS))


def alerting_resource() -> AlertingResource:
    return AlertingResource(**_from_env(ALERT_ENV_VARS))


def engine_resource() -> EngineResource:
    return EngineResource(**_from_env(ENGINE_ENV_VARS))
