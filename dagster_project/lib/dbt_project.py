"""The dbt project object, built lazily: nothing parses dbt at import of this module."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.lib.settings import DBT_PROJECT_DIR


@functools.cache
def dbt_project() -> DbtProject:
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    # Under `dagster dev` the manifest is rebuilt at start; elsewhere it is built once when missing
    # (`make` also builds it whenever a dbt file changes).
    project.prepare_if_dev()
    if not project.manifest_path.exists():
        prepare(project)
    return project


def prepare(project: DbtProject) -> None:
    """Parse the dbt project into its manifest, with the dbt beside this Python (no venv activation)."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    project.preparer.prepare(project)
