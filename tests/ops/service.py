"""Run the real service (`python -m app`) as a subprocess against a scratch database."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT, make_settings

ADMIN = "opsadmin"
ADMIN_PASSWORD = "Ops-Admin-Pass-12345"
STARTUP_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, port: int, **overrides: str) -> dict[str, str]:
    secrets = make_settings(database_url)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "DATABASE_", "RATE_LIMIT_", "PYTEST_"))
    }
    env.update(
        {
            "APP_ENV": "test",
            "DATABASE_URL": database_url,
            "JWT_SIGNING_KEY": secrets.jwt_signing_key.get_secret_value(),
            "ENCRYPTION_KEYS": secrets.encryption_keys.get_secret_value(),
            "ENCRYPTION_ACTIVE_KEY_ID": secrets.encryption_active_key_id,
            "HMAC_KEY": secrets.hmac_key.get_secret_value(),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "MIGRATE_ON_START": "1",
            "DEMO_DATA": "0",
            "RUN_WORKER_IN_PROCESS": "1",
            "BOOTSTRAP_ADMIN_USERNAME": ADMIN,
            "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "LOG_LEVEL": "INFO",
            "GRACEFUL_SHUTDOWN_SECONDS": "15",
            "WORKER_POLL_SECONDS": "0.2",
            "DB_POOL_SIZE": "10",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


@dataclass
class Service:
    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.output().splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out

    def terminate(self) -> None:
        self.proc.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    async def wait_exit(self, within: float) -> int:
        """The exit code; subprocess.TimeoutExpired if still running after `within` seconds."""
        return await asyncio.to_thread(self.proc.wait, within)

    async def wait_ready(self, within: float = STARTUP_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(
                        f"service exited {self.proc.returncode} before ready:\n{self.output()}"
                    )
                try:
                    r = await client.get("/readyz")
                    if r.status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"service not ready in {within} s:\n{self.output()}")


@contextmanager
def run_service(
    database_url: str, log_dir: Path, name: str = "app", **env: str
) -> Iterator[Service]:
    """Start `python -m app`; on the way out, kill it if it is still running."""
    port = free_port()
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"],
            cwd=ROOT,
            env=service_env(database_url, port, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    service = Service(proc, port, log_path)
    try:
        yield service
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


async def login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    r = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
