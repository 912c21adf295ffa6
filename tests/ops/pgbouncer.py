"""Debian's pgbouncer in transaction mode in front of the test PostgreSQL, for the ops tests."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.ops.service import free_port

CONTROL_DB = "control"  # the same database with a pool of two server connections


def pgbouncer_binary() -> str | None:
    found = shutil.which("pgbouncer")
    if found:
        return found
    return "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None


@dataclass
class Bouncer:
    port: int
    log_path: Path
    user: str
    password: str

    def url(self, database: str) -> str:
        return (
            make_url("postgresql+asyncpg://127.0.0.1")
            .set(port=self.port, username=self.user, password=self.password, database=database)
            .render_as_string(hide_password=False)
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def run_pgbouncer(database_url: str, *, pool_size: int = 4) -> Iterator[Bouncer]:
    """Start pgbouncer for the server of `database_url` (unix socket or TCP); stop it after."""
    binary = pgbouncer_binary()
    assert binary is not None
    url = make_url(database_url)
    socket_dir = url.query.get("host")
    host = str(socket_dir) if socket_dir else (url.host or "127.0.0.1")
    upstream_port = url.port or 5432
    user = url.username or "postgres"
    password = url.password or ""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # pgbouncer refuses to run as root: become the owner of the server's socket directory.
        owner = pwd.getpwuid(Path(host).stat().st_uid) if host.startswith("/") else None
        account = owner or pwd.getpwnam("nobody")
        run_as = ["-u", account.pw_name]
        workdir.chmod(0o755)
        os.chown(workdir, account.pw_uid, account.pw_gid)  # its log file goes here
    conn = f"host={host} port={upstream_port} user={user}"
    if password:
        conn += f" password={password}"
    (workdir / "userlist.txt").write_text(f'"{user}" "{password}"\n')
    (workdir / "pgbouncer.ini").write_text(
        f"""[databases]
{CONTROL_DB} = {conn} dbname={url.database} pool_size=2
* = {conn}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir / "userlist.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
pidfile =
"""
    )
    for f in workdir.iterdir():
        f.chmod(0o644)
    proc = subprocess.Popen(
        [binary, *run_as, str(workdir / "pgbouncer.ini")],
        stdout=(workdir / "pgbouncer.log").open("ab"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    bouncer = Bouncer(port, workdir / "pgbouncer.log", user, password)
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"pgbouncer exited {proc.returncode}:\n{bouncer.log()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"pgbouncer not listening:\n{bouncer.log()}") from None
                time.sleep(0.1)
        yield bouncer
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
