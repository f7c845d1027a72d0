"""A throwaway PostgreSQL server for tests (a pytest plugin: register with -p or pytest_plugins).

`postgres_url` (session) starts one server listening on 127.0.0.1 and a unix
socket in a temp folder, and yields a URL of its empty `digitrec_test`
database. `fresh_postgres_url` (function) gives each test its own new
database on that server, dropped afterwards. Tests are skipped when the
PostgreSQL binaries are not installed. PostgreSQL refuses to run as root, so
as root the server runs as the `postgres` system user.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

INSTALL_HINT = "PostgreSQL is not installed (apt-get install postgresql)"
SERVER_USER = "postgres"  # the system user created by the Debian package
START_TIMEOUT_S = 60
# A test server needs no durability; these keep it light on a busy machine.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c shared_buffers=16MB -c max_connections=60"
)


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: the newest Debian version, else PATH."""
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(part) if part.isdigit() else 0 for part in Path(p).parent.name.split(".")],
    )
    for folder in reversed(debian):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _as_server_user(argv: list[str]) -> list[str]:
    """Prefix a command so it runs as `postgres` when we are root."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *argv]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", subprocess.list2cmdline(argv)]


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(
        _as_server_user(argv), check=False, capture_output=True, text=True, timeout=START_TIMEOUT_S
    )
    if done.returncode != 0:
        pytest.fail(f"{what} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_folder() -> Path:
    """A short path under /tmp (unix socket paths are limited to ~100 bytes), owned by the server user."""
    folder = Path(tempfile.mkdtemp(prefix="digitrec-pg-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(folder, user=SERVER_USER, group=SERVER_USER)
        except LookupError:
            shutil.rmtree(folder)
            pytest.skip(f"running as root, but there is no {SERVER_USER!r} user to run PostgreSQL as")
    return folder


def _execute_admin(port: int, sql: str) -> None:
    """Run one statement in the `postgres` database, outside a transaction (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[int]:
    """Start a private PostgreSQL server for the session; yields its TCP port on 127.0.0.1."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install 'psycopg[binary]')")
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        pytest.skip(INSTALL_HINT)
    folder = _server_folder()
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    started = False
    try:
        initdb_flags = "-A trust -U postgres -E UTF8 --no-locale --no-sync".split()
        _run([str(bin_dir / "initdb"), "-D", str(data), *initdb_flags], "initdb")
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
        start = ["-l", str(log), "-w", "-t", str(START_TIMEOUT_S), "-o", options + SERVER_OPTIONS, "start"]
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), *start], f"starting PostgreSQL (log: {log})")
        started = True
        yield port
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"]),
                check=False,
                capture_output=True,
                timeout=START_TIMEOUT_S,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: int) -> str:
    """URL of an empty `digitrec_test` database on the session's server."""
    _execute_admin(postgres_server, "CREATE DATABASE digitrec_test")
    return f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server}/digitrec_test"


_database_numbers = itertools.count()


@pytest.fixture
def fresh_postgres_url(postgres_server: int) -> Iterator[str]:
    """URL of a new, empty database for one test; dropped (connections and all) afterwards."""
    name = f"digitrec_t{next(_database_numbers)}"
    _execute_admin(postgres_server, f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server}/{name}"
    _execute_admin(postgres_server, f"DROP DATABASE {name} WITH (FORCE)")
