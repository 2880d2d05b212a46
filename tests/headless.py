"""Headless Chromium for the report: the rendered DOM (to count charts and find errors) and a
screenshot. Used by the tests and by `python -m dagster_project.defs.serving.report --screenshot`.
Chromium is the Debian package `chromium`; `ensure_chromium()` installs it when missing (as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# No network, no first-run or background work: the page must render from the file alone.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def ensure_chromium() -> str:
    """The Chromium executable, installing the Debian package `chromium` first if it is missing."""
    if path := find_chromium():
        return path
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(prefix + command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"Installing Chromium failed: {' '.join(command)}:\n{done.stderr[-2000:]}")
    if path := find_chromium():
        return path
    raise RuntimeError("apt-get installed the package `chromium` but no chromium executable is on PATH")


def _run(page: Path, extra: list[str], fragment: str = "", timeout: int = 120) -> subprocess.CompletedProcess:
    chromium = ensure_chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        url = Path(page).absolute().as_uri() + (f"#{fragment}" if fragment else "")
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=5000", *extra, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(page: Path, fragment: str = "") -> str:
    """The page's DOM after its scripts ran (`chromium --headless --dump-dom`)."""
    done = _run(page, ["--dump-dom"], fragment)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def screenshot(page: Path, png: Path, width: int = 1400, height: int = 3000, fragment: str = "") -> Path:
    png = Path(png).absolute()
    png.parent.mkdir(parents=True, exist_ok=True)
    done = _run(page, [f"--screenshot={png}", f"--window-size={width},{height}"], fragment)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return png
