"""Screening import benchmark 摸排导入: end to end over HTTP, against a bare COPY of the same rows.

    python -m bench.screening_import            # 34,000 + 1,000,000 CSV rows, 100,000 XLSX rows
    python -m bench.screening_import --small    # CI: a few thousand rows, under 30 s
    python -m bench.screening_import --only 1m --files-dir /tmp/screening-files
                                                # one part only, generated files kept for reuse

A real uvicorn server on 127.0.0.1 runs the service with its in-process worker against the
embedded PostgreSQL (a fresh database). For each file: POST it, poll the import until `done`,
and print rows/s, the service's memory growth (RSS sampled during the import, over the RSS
before it) and the parsing child's peak; and, just before the import, COPY the same CSV into an
empty table of text columns (the physical reference) and print the ratio. Finally the p50/p95
of the list and stats calls with everything loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import embedded
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrate import upgrade
from bench.common import free_port, postgres_cpu_seconds
from bench.gen_screening import demo_village_codes, generate_rows, write_file

DISTRICT = "110115"
# Issue 6: "bare COPY of the same CSV runs at roughly 450,000 rows/s here" (when the targets
# were set); the import's time scaled to that speed is comparable from one day to the next.
REFERENCE_BARE_ROWS_PER_S = 450_000
# The re-screening part: the first file's children screened again this many days later.
RESCREEN_DAYS = 92


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds() -> tuple[float, float, float]:
    """(this process, its reaped children, the embedded PostgreSQL) CPU seconds so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        me.ru_utime + me.ru_stime,
        children.ru_utime + children.ru_stime,
        postgres_cpu_seconds(Path(".data/bench-pg")),
    )


@contextlib.asynccontextmanager
async def _database() -> AsyncIterator[str]:
    server = embedded.start(Path(".data"), name="bench-pg")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, Settings(database_url=server))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _bare_copy(settings: Settings, url: str, path: Path) -> float:
    """COPY the CSV into an empty table of text columns; seconds."""
    engine = create_engine(url, settings)
    try:
        async with engine.begin() as conn:
            cols = ", ".join(f"c{i} text" for i in range(20))
            await conn.execute(text("DROP TABLE IF EXISTS bare_copy"))
            await conn.execute(text(f"CREATE TABLE bare_copy ({cols})"))
        async with engine.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            started = time.perf_counter()
            await raw.copy_to_table("bare_copy", source=path, format="csv", header=True)
            took = time.perf_counter() - started
            await conn.execute(text("DROP TABLE bare_copy"))
        return took
    finally:
        await engine.dispose()


class Bench:
    def __init__(self, base: str, token: str, settings: Settings, url: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600
        )
        self.settings = settings
        self.url = url

    async def import_file(self, path: Path, label: str, *, reference: bool) -> None:
        bares: list[float] = []
        if reference:
            # The machine's speed right now (this VM's varies by a third from hour to hour),
            # measured before the import: after it, autovacuum and the checkpointer work
            # through the new records for a minute and take a core from the COPY.
            bares = [await _bare_copy(self.settings, self.url, path) for _ in range(3)]
        baseline = _rss_mb()
        peak = [baseline]
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _rss_mb())
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        with path.open("rb") as f:
            r = await self.client.post("/api/v1/screening/imports", files={"file": (path.name, f)})
        assert r.status_code == 202, r.text
        accepted = time.perf_counter() - started
        import_id = r.json()["id"]
        while True:
            body = (await self.client.get(f"/api/v1/screening/imports/{import_id}")).json()
            if body["status"] in ("done", "failed"):
                break
            # Poll every 50 ms at first, then every 1% of the time so far (at most 0.5 s): the
            # figure is late by at most ~1%, and the polling (served by the same process and
            # database as the import) takes a few percent of the CPU instead of a sixth of it.
            await asyncio.sleep(min(0.5, max(0.05, (time.perf_counter() - started) / 100)))
        took = time.perf_counter() - started
        cpu = [after - before for after, before in zip(_cpu_seconds(), cpu_before, strict=True)]
        stop.set()
        await sampler
        rows = body["total_rows"]
        size = path.stat().st_size  # noqa: ASYNC240
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"{label}: {rows:,} rows ({size / 1e6:.1f} MB) {body['status']} in "
            f"{took:.2f} s end to end ({rows / took:,.0f} rows/s; 202 after {accepted:.2f} s); "
            f"inserted {body['inserted']:,}, updated {body['updated']:,}, "
            f"unchanged {body['unchanged']:,}, rejected {body['rejected']:,}, "
            f"flagged {body['flagged']:,}; service RSS +{peak[0] - baseline:.0f} MB "
            f"(peak {peak[0]:.0f} MB), child processes peak {child_peak:.0f} MB",
            flush=True,
        )
        print(
            f"  CPU: service {cpu[0]:.1f} s (with this benchmark's client), parsing child "
            f"{cpu[1]:.1f} s, PostgreSQL {cpu[2]:.1f} s; {sum(cpu):.1f} s in all "
            f"({sum(cpu) / took:.2f} cores busy on average)",
            flush=True,
        )
        if bares:
            bare = statistics.median(bares)
            print(
                f"  bare COPY of the same CSV into an empty table: {bare:.2f} s "
                f"({rows / bare:,.0f} rows/s; median of {', '.join(f'{b:.2f}' for b in bares)}"
                f"); import/bare ratio {took / bare:.1f}x; at the issue's reference speed "
                f"(bare COPY at {REFERENCE_BARE_ROWS_PER_S:,} rows/s) the import would take "
                f"{took / bare * rows / REFERENCE_BARE_ROWS_PER_S:.1f} s",
                flush=True,
            )

    async def latency(self, calls: int) -> None:
        count = (await self.client.get("/api/v1/screening/stats")).json()["total"]
        cases: dict[str, tuple[str, dict[str, Any]]] = {
            "list (first page)": ("/api/v1/screening/records", {}),
            "list migrant, town, age 6-15": (
                "/api/v1/screening/records",
                {
                    "classification": "migrant",
                    "area_code": "110115003",
                    "age_min": 6,
                    "age_max": 15,
                },
            ),
            "list village, not in school": (
                "/api/v1/screening/records",
                {"area_code": "110115001001", "school_status": "not_in_school"},
            ),
            "list flagged, town": (
                "/api/v1/screening/records",
                {"classification": "flagged", "area_code": "110115003"},
            ),
            "list left-behind, district (none)": (
                "/api/v1/screening/records",
                {"classification": "left_behind"},
            ),
            "list by ID number": ("/api/v1/screening/records", {"q": "410102201403050012"}),
            "stats (district)": ("/api/v1/screening/stats", {}),
            "stats (town)": ("/api/v1/screening/stats", {"area_code": "110115003"}),
        }
        print(f"latency with {count:,} records, {calls} calls each:")
        for label, (path, params) in cases.items():
            times = []
            cursor = None
            for _ in range(calls):
                p: dict[str, Any] = dict(params)
                if cursor and label == "list (first page)":
                    p["cursor"] = cursor
                started = time.perf_counter()
                r = await self.client.get(path, params=p)
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, r.text
                if path.endswith("records"):
                    cursor = r.json().get("next_cursor")
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"  {label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")


def _file(
    directory: Path, n: int, seed: int, kind: str, villages: list[str], rescreen_days: int = 0
) -> Path:
    """The generated file of `n` rows (reused when it is already in `directory`)."""
    later = f"-r{rescreen_days}" if rescreen_days else ""
    path = directory / f"screening-{n}-{seed}{later}.{kind}"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".partial.{kind}")
        rows = generate_rows(
            n, villages=villages, seed=seed, text_dates=kind == "csv", rescreen_days=rescreen_days
        )
        write_file(partial, rows, file_format="csv" if kind == "csv" else "xlsx")
        partial.rename(path)
    return path


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="screening import benchmark")
    parser.add_argument("--small", action="store_true", help="CI sizes (< 30 s)")
    parser.add_argument("--csv-rows", type=int, nargs="*", help="CSV sizes to import")
    parser.add_argument("--xlsx-rows", type=int, help="XLSX size to import")
    parser.add_argument(
        "--only",
        choices=("34k", "1m", "xlsx", "latency"),
        action="append",
        help="run only these parts of the full benchmark (repeatable; latency needs rows loaded)",
    )
    parser.add_argument(
        "--files-dir",
        type=Path,
        help="keep the generated files here and reuse them on the next run (same size and seed)",
    )
    args = parser.parse_args(argv)
    sizes: dict[str, Any] = (
        {"csv": [3_000], "xlsx": 2_000, "calls": 20}
        if args.small
        else {"csv": [34_000, 1_000_000], "xlsx": 100_000, "calls": 100}
    )
    if args.csv_rows is not None:
        sizes["csv"] = args.csv_rows
    if args.xlsx_rows is not None:
        sizes["xlsx"] = args.xlsx_rows
    if args.only:
        csv_sizes = {"34k": 34_000, "1m": 1_000_000}
        sizes["csv"] = [csv_sizes[part] for part in args.only if part in csv_sizes]
        sizes["xlsx"] = sizes["xlsx"] if "xlsx" in args.only else 0
        sizes["calls"] = sizes["calls"] if "latency" in args.only else 0
    workdir = Path(tempfile.mkdtemp(prefix="screening-bench-"))
    files = args.files_dir or workdir
    villages = demo_village_codes()
    async with _database() as url:
        settings = Settings(
            database_url=url,
            data_dir=workdir,
            log_level="WARNING",
            demo_data=False,
            run_worker_in_process=True,
            db_pool_size=5,
        )
        engine = create_engine(url, settings)
        await upgrade(engine)
        from app import demo

        async with create_sessionmaker(engine)() as session:
            await demo._load_foundation(session, DISTRICT)  # areas and accounts only
            await session.commit()
            admin = (
                await session.execute(text("SELECT id FROM users WHERE username = 'admin'"))
            ).scalar_one()
        token_settings = settings.model_copy(update={"access_token_minutes": 600})
        token, _ = create_access_token(
            token_settings, now=datetime.now(UTC), subject=admin, kind="user", extra={}
        )
        port = free_port()
        app = create_app(settings, engine=engine)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event
            await asyncio.sleep(0.05)
        bench = Bench(f"http://127.0.0.1:{port}", token, settings, url)
        try:
            for i, n in enumerate(sizes["csv"], start=1):
                # the full run's seeds, so that `--only` runs import the same files
                seed = {34_000: 1, 1_000_000: 2}.get(n, i)
                path = _file(files, n, seed, "csv", villages)
                await bench.import_file(path, f"CSV {n:,}", reference=True)
                if i == 1 and n < 100_000:
                    await bench.import_file(
                        path, f"CSV {n:,} again (all unchanged)", reference=False
                    )
                    # the same children screened again a quarter later: every record changes
                    later = _file(files, n, seed, "csv", villages, rescreen_days=RESCREEN_DAYS)
                    await bench.import_file(
                        later,
                        f"CSV {n:,} re-screened {RESCREEN_DAYS} days later (every record changes)",
                        reference=False,
                    )
                    if args.files_dir is None:
                        later.unlink()
                if args.files_dir is None:
                    path.unlink()
            n = sizes["xlsx"]
            if n:
                path = _file(files, n, 99, "xlsx", villages)
                await bench.import_file(path, f"XLSX {n:,}", reference=False)
                if args.files_dir is None:
                    path.unlink()
            if sizes["calls"]:
                await bench.latency(sizes["calls"])
        finally:
            await bench.client.aclose()
            server.should_exit = True
            await serving
            await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
