"""The embedded PostgreSQL starts and stops cleanly after a crash of the process that started it.

`make run` killed with -9 left its PID in pgserver's handle file; the next run joined the
server, and its Ctrl-C then left PostgreSQL running (the dead PID still counted as a user).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from tests.conftest import ROOT

_START = """
import os, signal, sys
from pathlib import Path
from app import embedded
url = embedded.start(Path(sys.argv[1]))
print(url, flush=True)
if sys.argv[2] == "crash":
    os.kill(os.getpid(), signal.SIGKILL)
embedded.stop()
"""


def _run(data_dir: Path, mode: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    return subprocess.run(
        [sys.executable, "-c", _START, str(data_dir), mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _servers_on(pgdata: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and any(str(pgdata) in part for part in cmdline):
            found.append(proc)
    return found


def test_start_and_stop_cleanly_after_a_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    pgdata = data_dir.resolve() / "pg"
    try:
        crashed = _run(data_dir, "crash")
        assert crashed.returncode == -signal.SIGKILL, crashed.stderr
        # The crash left the server running and the dead process's PID in the handle file.
        assert _servers_on(pgdata)
        handles = json.loads((pgdata / ".handle_pids.json").read_text())
        assert handles
        assert not any(psutil.pid_exists(p) for p in handles)

        again = _run(data_dir, "stop")
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("postgresql+asyncpg://")
        deadline = time.monotonic() + 10
        while _servers_on(pgdata) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _servers_on(pgdata) == []
        assert json.loads((pgdata / ".handle_pids.json").read_text()) == []
    finally:
        for proc in _servers_on(pgdata):
            proc.kill()
