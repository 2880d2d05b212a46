"""`python -m dagster_project.defs.serving [--screenshot docs/report.png]`: rebuild the HTML report
from the snapshot published in SALES_SERVING_DIR (no pipeline run, no warehouse lock)."""

import argparse
from pathlib import Path

from dagster_project.settings import Settings

from .report import headlines_markdown, write_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.defs.serving", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--serving-dir", type=Path, default=None, help="default: SALES_SERVING_DIR")
    parser.add_argument("--output", type=Path, default=None, help="default: <serving dir>/report/index.html")
    parser.add_argument("--screenshot", type=Path, default=None, help="also save a PNG (headless Chromium)")
    parser.add_argument("--slice", default="", help="the slice to show in the screenshot, e.g. rep_id=rep-01")
    args = parser.parse_args(argv)
    result = write_report(args.serving_dir or Settings.from_env().serving_dir, args.output)
    print(f"Report: {result.path} (snapshot {result.snapshot.name})")
    print(headlines_markdown(result.headlines))
    if args.screenshot:
        from .headless import screenshot

        print(f"Screenshot: {screenshot(result.path, args.screenshot, fragment=args.slice)}")


if __name__ == "__main__":
    main()
