"""The planning settings as a Dagster resource (key `planning`), its fields from the environment."""

import dagster as dg
from pydantic import Field

from dagster_project.defs.resources import _from_env
from dagster_project.lib.planning.settings import ENV_VARS, PlanningSettings


class PlanningResource(dg.ConfigurableResource):
    """The targets file and the fiscal calendar (docs/contract.md section 8)."""

    targets_file: str = Field("", description="SALES_TARGETS_FILE: CSV of targets (empty: the demo targets)")
    fiscal_year_start_month: str = Field(
        "1", description="SALES_FISCAL_YEAR_START_MONTH: first month of the fiscal year, 1-12"
    )

    def settings(self) -> PlanningSettings:
        """The checked settings; a bad value raises PlanningSettingsError naming the variable."""
        return PlanningSettings.from_values(self.targets_file, self.fiscal_year_start_month)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self.settings()  # fail the run at its start on a bad value


def planning_resource() -> PlanningResource:
    return PlanningResource(**_from_env(ENV_VARS))
