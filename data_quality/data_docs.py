"""The Data Docs' index page, the ledger of check results behind it, and pages that open offline.

GX renders one HTML page per validation result (`validations/...`) and per suite (`expectations/...`).
Their content is static HTML, but they load Bootstrap, jQuery, Vega and a logo from public CDNs:
`make_offline` removes those references and links the project's own small stylesheet
(`offline.css`), so every page reads the same with no network. GX's own index page is not built: it loads its list
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
import re
from pathlib import Path

INDEX = "index.html"
OFFLINE_CSS = "offline.css"
# Tags that would fetch something from the network: scripts, stylesheets and images at http(s) URLs.
_REMOTE_TAG = re.compile(
    r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>|<link[^>]*\bhref="https?://[^"]*"[^>]*>'
    r'|<img[^>]*\bsrc="https?://[^"]*"[^>]*>',
    re.IGNORECASE,
)
_STYLESHEET = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; }
.container, .container-fluid { padding: 1em 2em; }
.navbar { background: #f3f3f3; padding: 0.5em 2em; border-bottom: 1px solid #ddd; }
.navbar-brand, .breadcrumb { font-weight: bold; margin-right: 1em; }
.breadcrumb { list-style: none; display: flex; gap: 0.5em; padding: 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
.card { border: 1px solid #ddd; border-radius: 6px; margin: 1em 0; padding: 0.5em 1em; }
.card-header { font-weight: bold; }
.text-danger, .fa-times { color: #cf222e; } .text-success, .fa-check-circle { color: #1a7f37; }
.sticky, .d-none, .modal { display: none; }
"""
LEDGER = "checks.json"
HISTORY_LENGTH = 500  # results kept in the history, with their pages


def record(docs_dir: Path, entries: list[dict], notices: list[str] | None = None) -> Path:
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
    if notices is not None:  # given by the raw layer's step (held loads); the others leave them
        ledger["notices"] = notices
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
.notice { padding: 8px 12px; border: 1px solid #e0b04a; background: #fff7e6; margin-bottom: 1.5em; }
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


def _notices(notices: list[str]) -> str:
    if not notices:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notices)
    return f'<div class="notice"><b>Held out of the marts</b> (over the reject limit):<ul>{items}</ul></div>'


def render(ledger: dict) -> str:
    latest = sorted(ledger["latest"].values(), key=lambda e: (e["asset"], e["check"]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sales pipeline: data quality checks</title>
<style>{_STYLE}</style></head><body>
<h1>Data quality checks</h1>
{_notices(ledger.get("notices", []))}
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


def make_offline(docs_dir: Path, pages: list[Path]) -> None:
    """Strip the network references of GX's pages and link the local stylesheet instead."""
    _write_atomically(docs_dir / OFFLINE_CSS, _STYLESHEET)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        stylesheet = os.path.relpath(docs_dir / OFFLINE_CSS, page.parent)
        offline = _REMOTE_TAG.sub("", text)
        if f'href="{stylesheet}"' not in offline:
            offline = offline.replace("</head>", f'<link rel="stylesheet" href="{stylesheet}"></head>', 1)
        if offline != text:
            _write_atomically(page, offline)
