"""`python -m dagster_project.holds [list | release LOAD_ID --note TEXT]`: the loads held out of the
marts (over the reject limit) and releasing one on purpose; its rows reach the marts in the next run.
The Dagster job `release_held_load` does the same from the UI. Uses SALES_WAREHOUSE; do not run it
while a run writes the warehouse (DuckDB takes one writer)."""

from __future__ import annotations

import argparse
import getpass
import sys

from dagster_project.lib.ingestion.gate import read_active_holds, release
from dagster_project.lib.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.holds", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("list", help="the active holds (the default)")
    releasing = commands.add_parser("release", help="let a held load's rows into the marts")
    releasing.add_argument("load_id", type=int)
    releasing.add_argument("--note", default="", help="why (kept in raw.load_holds)")
    args = parser.parse_args(argv)
    warehouse = Settings.from_env().warehouse
    if args.command == "release":
        note = args.note or f"released by {getpass.getuser()} with python -m dagster_project.holds"
        try:
            hold = release(warehouse, args.load_id, note)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"Released load {hold.load_id} ({hold.source_file}): its rows reach the marts in the next run.")
        return 0
    holds = read_active_holds(warehouse)
    print("\n".join(h.line() for h in holds) if holds else "No load is held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
