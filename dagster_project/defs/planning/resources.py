"""The planning settings as a Dagster resource (key `planning`), its fields read from the environment."""

import os

import dagster as dg

from dagster_project.lib.planning.settings import FISCAL_START_VAR, TARGETS_FILE_VAR, PlanningSettings


class PlanningResource(dg.ConfigurableResource):
    """SALES_TARGETS_FILE and SALES_FISCAL_YEAR_START_MONTH (docs/contract.md section 8); None or empty
    means the default (the demo targets; January)."""

    targets_file: str | None = None
    fiscal_year_start_month: str | None = None

    def settings(self) -> PlanningSettings:
        """The checked settings; a bad value raises PlanningSettingsError naming the variable."""
        return PlanningSettings.from_values(self.targets_file, self.fiscal_year_start_month)

    @classmethod
    def from_env(cls) -> "PlanningResource":
        """Each field from its environment variable when that is set (resolved by Dagster at run
        launch, so the UI shows where it comes from), else the default."""

        def env(name: str) -> dg.EnvVar | None:
            return dg.EnvVar(name) if os.environ.get(name) else None

        return cls(targets_file=env(TARGETS_FILE_VAR), fiscal_year_start_month=env(FISCAL_START_VAR))
