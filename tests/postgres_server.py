"""A real PostgreSQL server for tests: initdb in a temporary folder, pg_ctl on 127.0.0.1 (unused port).

    with PostgresServer() as pg:
        pg.create_database("dagster", user="dagster", password="secret")
        psycopg2.connect(**pg.connect_args("dagster", "dagster", "secret"))

The server binaries come from Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin);
when they are missing and we are root (CI), the package is installed with apt-get. initdb refuses
to run as root, so as root the server runs as the `postgres` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg2

SUPERUSER = "postgres"


def server_bin_dir() -> Path:
    """The newest installed server's bin folder, installing the Debian package first if needed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    if not found:
        if os.geteuid() != 0:
            raise RuntimeError(
                "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin and not root: "
                "run `apt-get install -y postgresql` (the tests install it themselves as root)"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "postgresql"], check=True, env=env, capture_output=True)
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version)
    return Path(found[-1]).parent


def _major_version(initdb: str) -> int:
    return int(Path(initdb).parent.parent.name.split(".")[0])


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 and a socket in that folder."""

    def __init__(self) -> None:
        self.bin_dir = server_bin_dir()
        self.port = unused_port()
        self.host = "127.0.0.1"
        # Not under pytest's tmp_path: its parents are private to root, the server user must enter.
        self.root = Path(tempfile.mkdtemp(prefix="pg_test_"))
        self.data_dir = self.root / "data"
        self.log_file = self.root / "server.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.root, user=SUPERUSER, group=SUPERUSER)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr}{done.stdout}\n{log}")

    def start(self) -> PostgresServer:
        # The superuser may connect without a password only through the socket in our folder;
        # TCP connections (what Dagster makes) need a password.
        self._run("initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth-local=trust",
                  "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-sync")  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses={self.host} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", options, "-w", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def superuser_connection(self):
        """A connection as the superuser through the server's socket (autocommit, for DDL)."""
        con = psycopg2.connect(host=str(self.root), port=self.port, user=SUPERUSER, dbname="postgres")
        con.autocommit = True
        return con

    def create_database(self, name: str, user: str, password: str) -> None:
        """A login role with a password, owning a new database of the same name."""
        from psycopg2 import sql

        con = self.superuser_connection()
        try:
            with con.cursor() as cur:
                cur.execute(
                    sql.SQL("create role {} login password %s").format(sql.Identifier(user)), [password]
                )
                cur.execute(
                    sql.SQL("create database {} owner {}").format(sql.Identifier(name), sql.Identifier(user))
                )
        finally:
            con.close()

    def connect_args(self, dbname: str, user: str, password: str) -> dict[str, object]:
        """Arguments of psycopg2.connect for a password login over TCP, as Dagster connects."""
        return {"host": self.host, "port": self.port, "dbname": dbname, "user": user, "password": password}

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
