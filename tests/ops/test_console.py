"""A readable console (issue 29).

`make run` printed 61 JSON lines before it was ready, pgserver's whole initdb output inside
JSON strings and uvicorn's terminal colour codes in a `color_message` field. Now: one readable
line each in development (LOG_FORMAT=auto → text), JSON in production; pgserver and Alembic
speak only when something fails; no colour codes in JSON.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.config import Settings
from app.observability import JsonFormatter, TextFormatter
from tests.conftest import ROOT
from tests.ops.service import free_port

READY = "Uvicorn running on"


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, "Started %s", ("x",), None
    )
    for k, v in extra.items():
        setattr(record, k, v)
    return record


def test_json_lines_carry_no_colour_codes_and_text_lines_are_readable() -> None:
    line = JsonFormatter().format(_record(color_message="Started \x1b[36m%s\x1b[0m", pgdata="/d"))
    data = json.loads(line)
    assert "color_message" not in data
    assert "\x1b" not in line
    assert data["msg"] == "Started x"
    assert data["pgdata"] == "/d"
    text = TextFormatter().format(_record(color_message="\x1b[36m", pgdata="/d"))
    assert text.endswith("INFO  uvicorn.error: Started x pgdata=/d")
    assert "\x1b" not in text
    assert "{" not in text


def test_text_in_development_json_elsewhere_unless_set() -> None:
    assert Settings.model_construct(app_env="development").console_log_format == "text"
    assert Settings.model_construct(app_env="production").console_log_format == "json"
    assert Settings.model_construct(app_env="test").console_log_format == "json"
    dev_json = Settings.model_construct(app_env="development", log_format="json")
    assert dev_json.console_log_format == "json"


def test_make_run_prints_fewer_than_20_lines_before_it_is_ready(tmp_path: Path) -> None:
    """`make run` is `python -m app` in development on the embedded PostgreSQL with demo data."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "APP_ENV", "LOG_", "DEMO_", "PYTEST_", "OTEL_"))
    }
    env.update({"DATA_DIR": str(tmp_path / "data"), "PORT": str(free_port())})
    env["PYTHONUNBUFFERED"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    ready = False
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if READY in line:
                ready = True
                break
            lines.append(line.rstrip("\n"))
        assert ready, "no ready line within 300 s:\n" + "\n".join(lines)
        assert len(lines) < 20, "\n".join(lines)
        output = "\n".join(lines)
        assert "\x1b" not in output
        assert not [x for x in lines if x.lstrip().startswith("{")]
        assert "initdb" not in output
        assert "Running upgrade" not in output
        assert "embedded PostgreSQL ready" in output
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
