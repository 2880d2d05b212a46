"""`python -m dagster_project.summary`: print what the warehouse of SALES_WAREHOUSE holds (files,
rejects, the ten metrics of the latest complete month). `make run` calls it after materializing."""

from dagster_project.lib.report.summary import summary_lines
from dagster_project.lib.settings import Settings


def main() -> None:
    try:
        print("\n".join(summary_lines(Settings.from_env().warehouse)))
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    main()
