"""The dbt CLI resource, without the per-build work this project never uses."""

from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version


class SalesDbtCliResource(DbtCliResource):
    """`DbtCliResource` minus two costs it pays before every `dbt build` (about 3 s at each build):

    - it runs `dbt --version` in a subprocess (a whole dbt start-up) to learn the version of the
      `dbt` beside this Python, which is the pinned dbt-core this process can read without a process;
    - it opens a dbt adapter inside the Dagster process (imports dbt, loads its macros) for
      dagster-dbt's column metadata and row counts, which this project does not use: the models' row
      counts and previews come from lib/metadata.py once dbt has released the DuckDB file.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # noqa: ARG002
        return None
