"""The Data Docs' index page, and the ledger of check results behind it.

GX renders one HTML page per validation result (`validations/...`) and per suite (`expectations/...`);
those pages are static and read fine offline. GX's own index page is not built: it loads its list
with scripts from public CDNs (empty offline), and it lists only the results in its store, while
each layer's checks run in their own step with an ephemeral context. Instead, `index.html` is
written here: a static page (no scripts) with the latest result of every check, the recent history
and links to the GX pages; its data is `checks.json`. GX's pages link "Home" to it.

Pages of results that fall out of the history are deleted, so the folder stays bounded.
Nothing here imports GX.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

INDEX = "index.html"
LEDGER = "checks.json"
HISTORY_LENGTH = 500  # results kept in the history, with their pages


def record(docs_dir: Path, entries: list[dict]) -> Path:
    """Add check results to the ledger, rewrite the index, prune old pages; return the index's path.

    An entry has: check, asset, severity, status (passed|failed), summary, run_id, validated_at,
    page (the GX validation page, relative to docs_dir, or None when nothing was validated) and
    suite_page (the GX page of the suite, relative).
    """
    docs_dir.mkdir(parents=True, exist_ok=True)
    ledger_path = docs_dir / LEDGER
    try:
        ledger = json.loads(ledger_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        ledger = {"latest": {}, "history": []}
    for entry in entries:
        ledger["latest"][entry["check"]] = entry
    ledger["history"] = (list(reversed(entries)) + ledger["history"])[:HISTORY_LENGTH]
    _write_atomically(ledger_path, json.dumps(ledger, indent=1, default=str))
    index = docs_dir / INDEX
    _write_atomically(index, render(ledger))
    _prune(docs_dir, ledger)
    return index


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _prune(docs_dir: Path, ledger: dict) -> None:
    """Delete validation pages that no kept result links to, and the folders left empty."""
    kept = {e["page"] for e in [*ledger["history"], *ledger["latest"].values()] if e.get("page")}
    validations = docs_dir / "validations"
    if not validations.is_dir():
        return
    for page in validations.rglob("*.html"):
        if page.relative_to(docs_dir).as_posix() not in kept:
            page.unlink(missing_ok=True)
    for folder in sorted((p for p in validations.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.passed { color: #1a7f37; font-weight: bold; } .failed { color: #cf222e; font-weight: bold; }
td.summary { max-width: 60em; }
"""

_HEAD = (
    "<tr><th>validated (UTC)</th><th>run</th><th>asset</th><th>check</th><th>severity</th>"
    "<th>status</th><th>summary</th><th>pages</th></tr>"
)


def _link(target: str | None, text: str) -> str:
    return f'<a href="{html.escape(target)}">{text}</a>' if target else ""


def _row(entry: dict) -> str:
    e = {k: html.escape(str(v if v is not None else "")) for k, v in entry.items()}
    links = " ".join(
        filter(None, [_link(entry.get("page"), "result"), _link(entry.get("suite_page"), "suite")])
    )
    return (
        f"<tr><td>{e['validated_at']}</td><td>{e['run_id']}</td><td>{e['asset']}</td><td>{e['check']}</td>"
        f'<td>{e["severity"]}</td><td class="{e["status"]}">{e["status"]}</td>'
        f'<td class="summary">{e["summary"]}</td><td>{links}</td></tr>'
    )


def render(ledger: dict) -> str:
    latest = sorted(ledger["latest"].values(), key=lambda e: (e["asset"], e["check"]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales pipeline: data quality checks</title>
<style>{_STYLE}</style></head><body>
<h1>Data quality checks</h1>
<p>Great Expectations suites run as Dagster asset checks (docs/data_quality.md in the repository).
"result" opens the GX page of that validation (expectations, observed and unexpected values);
"suite" the suite's expectations. Everything here is static HTML and reads offline.</p>
<h2>Latest result of each check</h2>
<table>{_HEAD}
{"".join(_row(e) for e in latest)}
</table>
<h2>History (newest first, last {HISTORY_LENGTH} results)</h2>
<table>{_HEAD}
{"".join(_row(e) for e in ledger["history"])}
</table>
</body></html>
"""
