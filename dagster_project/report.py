"""`python -m dagster_project.report`: rebuild the HTML report from the snapshot published in
SALES_SERVING_DIR (no pipeline run, no warehouse lock)."""

import argparse
from pathlib import Path

from dagster_project.lib.report.build import headlines_markdown, write_report
from dagster_project.lib.settings import Settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--serving-dir", type=Path, default=None, help="default: SALES_SERVING_DIR")
    parser.add_argument("--output", type=Path, default=None, help="default: <serving dir>/report/index.html")
    args = parser.parse_args(argv)
    result = write_report(args.serving_dir or Settings.from_env().serving_dir, args.output)
    print(f"Report: {result.path} (snapshot {result.snapshot.name})")
    print(headlines_markdown(result.headlines))


if __name__ == "__main__":
    main()
