"""A real PostgreSQL server for the tests of searches shared by workers on several machines.

pytest-postgresql's executor starts a throwaway server (initdb, pg_ctl) in a temporary folder,
with password authentication, for the whole session; each test gets a fresh database in it.
PostgreSQL refuses to run as root (CI runs as root): there the server runs as the ``postgres``
user, through a small pg_ctl wrapper. Without the server binaries (``apt-get install
postgresql``) the tests are skipped, and say so loudly; with TENFOLD_REQUIRE_POSTGRES=1 (CI
sets it once the package is installed) they fail instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pytest

PASSWORD = "pg-Secret-4711"  # must never reach a file Tenfold writes


def _pg_ctl() -> str:
    found = shutil.which("pg_ctl")
    if found:
        return found
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0,
    )
    return versions[-1] if versions else ""


def _no_server(reason: str):
    message = f"PostgreSQL tests NOT RUN: {reason}"
    print(f"\n*** {message} ***", file=sys.__stderr__, flush=True)
    if os.environ.get("TENFOLD_REQUIRE_POSTGRES") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """(host, port, user, password) of a running throwaway PostgreSQL server."""
    pg_ctl = _pg_ctl()
    if not pg_ctl:
        _no_server(
            "no PostgreSQL server binaries (pg_ctl) found; install them with "
            "`apt-get install postgresql` (Debian/Ubuntu) to run them"
        )
    try:
        from pytest_postgresql.executors.proc import PostgreSQLExecutor
    except ImportError:
        _no_server("pytest-postgresql is not installed (pip install -e '.[test]')")
    # Not under pytest's own temporary folder: that one is private to root, and the server must reach it.
    root = Path(tempfile.mkdtemp(prefix="tenfold-postgres-"))
    executable = pg_ctl
    if os.geteuid() == 0:  # initdb and postgres refuse root: run them as the postgres user
        import pwd

        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _no_server("running as root, and there is no 'postgres' user to run the server as")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        executable = str(root / "pg_ctl_as_postgres")
        with open(executable, "w") as f:
            f.write(
                textwrap.dedent(f"""\
                #!{sys.executable}
                import os, re, sys
                # initdb reads the password file that the executor wrote as root
                for arg in sys.argv[1:]:
                    for path in re.findall(r"--pwfile=(\\S+)", arg):
                        os.chown(path.strip("'\\""), {owner.pw_uid}, {owner.pw_gid})
                os.execvp("runuser", ["runuser", "-u", "postgres", "--", {pg_ctl!r}, *sys.argv[1:]])
                """)
            )
        os.chmod(executable, 0o755)
    port = _free_port()
    server = PostgreSQLExecutor(
        executable=executable,
        host="127.0.0.1",
        port=port,
        datadir=str(root / "data"),
        unixsocketdir=str(root),
        logfile=str(root / "server.log"),
        startparams="-w",
        dbname="tenfold",
        user="postgres",
        password=PASSWORD,
    )
    server.start()
    try:
        _wait_until_ready("127.0.0.1", port, "postgres", PASSWORD)
        yield ("127.0.0.1", port, "postgres", PASSWORD)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(host, port, user, password, seconds: float = 60) -> None:
    """The port opens before the server accepts connections ("the database system is starting up")."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(host=host, port=port, user=user, password=password, dbname="postgres").close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def postgres_db(postgres_server):
    """A fresh database on the server: ``(url_without_password, url_with_password)``."""
    import psycopg

    host, port, user, password = postgres_server
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(
        host=host, port=port, user=user, password=password, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    base = f"postgresql://{user}@{host}:{port}/{name}"  # SQLAlchemy reads it with psycopg2
    return base, base.replace(f"{user}@", f"{user}:{password}@")
