"""`make dev` stops cleanly: SIGTERM or SIGINT to make ends it and every process it started within 10 s.

A real `make dev` over temporary folders and a free port; every process it starts carries a marker
in its environment, so those that would outlive it (reparented, in another process group) are found
through /proc whatever became of their parent. SIGTERM goes to make alone (`kill <pid>`, a service
manager), once the UI answers; SIGINT goes to make's whole process group, as Ctrl-C in a terminal
does, while Dagster is still starting (the code server loading the definitions).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
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


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_make_dev_stops_with_everything_it_started(tmp_path, sig):
    ctrl_c = sig == signal.SIGINT
    if not Path("/proc/self/environ").exists() or shutil.which("setsid") is None:
        pytest.skip("needs Linux's /proc and setsid")
    token, port = uuid.uuid4().hex, free_port()
    home = tmp_path / "home"
    env = {**os.environ, "SALES_DEV_TEST": token, "DAGSTER_HOME": str(home), "DEV_PORT": str(port),
           "SALES_LANDING_DIR": str(tmp_path / "landing"), "SALES_WAREHOUSE": str(tmp_path / "w.duckdb")}  # fmt: skip
    make = subprocess.Popen(
        ["make", "dev"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # a terminal's foreground process group of its own
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        ready = (lambda: len(marked_processes(token)) >= 6) if ctrl_c else (
            lambda: answers(f"http://127.0.0.1:{port}/server_info"))  # fmt: skip
        while not ready():
            assert make.poll() is None, "make dev ended by itself"
            assert time.monotonic() < deadline, "make dev was not up within 180 s"
            time.sleep(0.5)
        assert len(marked_processes(token)) >= 6  # make, dev.sh, dagster dev, code server, webserver, daemon

        if ctrl_c:
            os.killpg(make.pid, sig)
        else:
            make.send_signal(sig)
        stopped = time.monotonic()
        while marked_processes(token) and time.monotonic() - stopped < STOP_SECONDS + 5:
            time.sleep(0.2)
        took = time.monotonic() - stopped
        left = marked_processes(token)
        print(f"\nmake dev stopped by {sig.name} in {took:.1f} s")
        assert not left and took < STOP_SECONDS, f"{len(left)} process(es) left after {took:.1f} s"
        assert make.wait(timeout=1) is not None
    finally:
        for pid in marked_processes(token):
            os.kill(pid, signal.SIGKILL)
