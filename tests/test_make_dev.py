"""`make dev` stops cleanly: SIGTERM or SIGINT to make ends it and every process it started within 10 s.

A real `make dev` over temporary folders and a free port; every process it starts carries a marker
in its environment, so those that would outlive it (reparented, in another process group) are found
through /proc whatever became of their parent. SIGTERM goes to make alone (`kill <pid>`, as a
service manager does). The script behind it, scripts/dev.sh, is also held on its own to its SIGKILL
after the grace, for SIGTERM and for SIGINT sent to the whole process group as Ctrl-C does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from dagster_project.lib.settings import REPO_ROOT

STOP_SECONDS = 10


def marked_processes(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if f"SALES_DEV_TEST={token}".encode() in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], token: str, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        command, cwd=REPO_ROOT, env={**os.environ, "SALES_DEV_TEST": token, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # like a terminal's foreground process group
    )  # fmt: skip


def stop_time(process: subprocess.Popen, token: str, sig: signal.Signals, group: bool) -> float:
    """Send the signal (to the process, or to its whole group as Ctrl-C does); seconds until no
    marked process is left (or STOP_SECONDS + 5 if some are)."""
    os.killpg(process.pid, sig) if group else process.send_signal(sig)
    sent = time.monotonic()
    while marked_processes(token) and time.monotonic() - sent < STOP_SECONDS + 5:
        time.sleep(0.1)
    return time.monotonic() - sent


def test_dev_sh_stops_a_tree_that_ignores_sigterm(tmp_path):
    """What `make dev` relies on: every process of the group gets SIGTERM, and SIGKILL after the grace
    (here a tree whose processes ignore SIGTERM and SIGINT, so only the SIGKILL ends them)."""
    stubborn = ["bash", "-c", "trap '' TERM INT; sleep 300 & sleep 300 & wait"]
    for sig, group in ((signal.SIGTERM, False), (signal.SIGINT, True)):
        token = uuid.uuid4().hex
        dev = start([str(REPO_ROOT / "scripts" / "dev.sh"), *stubborn], token, STOP_GRACE_SECONDS="1")
        wait_until(lambda: len(marked_processes(token)) >= 4, "dev.sh, bash and two sleeps")  # noqa: B023
        took = stop_time(dev, token, sig, group)
        assert not marked_processes(token) and 1 <= took < 3, (sig, took)
        assert dev.wait(timeout=1) == 0


def wait_until(condition, what: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_make_dev_stops_on_sigterm_with_everything_it_started(tmp_path):
    if not Path("/proc/self/environ").exists() or shutil.which("setsid") is None:
        pytest.skip("needs Linux's /proc and setsid")
    token, port = uuid.uuid4().hex, free_port()
    make = start(["make", "dev"], token, DAGSTER_HOME=str(tmp_path / "home"), DEV_PORT=str(port),
                 SALES_LANDING_DIR=str(tmp_path / "landing"), SALES_WAREHOUSE=str(tmp_path / "w.duckdb"))  # fmt: skip
    try:
        # make, dev.sh, dagster dev, its code server, the webserver and the daemon: all up.
        wait_until(lambda: len(marked_processes(token)) >= 6 or make.poll() is not None, "make dev")
        assert make.poll() is None, "make dev ended by itself"
        took = stop_time(make, token, signal.SIGTERM, group=False)  # `kill <pid of make>`
        left = marked_processes(token)
        print(f"\nmake dev stopped by SIGTERM in {took:.1f} s")
        assert not left and took < STOP_SECONDS, f"{len(left)} process(es) left after {took:.1f} s"
        assert make.wait(timeout=1) is not None
    finally:
        for pid in marked_processes(token):
            os.kill(pid, signal.SIGKILL)
