"""Bench (issue 30): the request path against a bare FastAPI read, and incidents as reporters arrive.

    python -m bench.request_path            # wrk 10 s per row; incidents 50/s for 60 s
    python -m bench.request_path --small    # CI size: wrk 3 s per row; incidents 10 s

Part 1, closed loop. On the embedded PostgreSQL ("bench-pg"), in one run:
  * the service under real uvicorn, one process, demo data (DEMO_DATA=1), no worker in the
    process, rate limits off (for this measurement only: 32 connections of one user would be
    limited), audit, jurisdiction, metrics and the request log as configured by default;
  * a bare reference app (bench/_bare.py: FastAPI + asyncpg, `SELECT … WHERE id=$1` on a
    100,000-row table in the same PostgreSQL), one uvicorn process.
Both are driven by Debian's `wrk -t1 -c32 --latency` (Lua scripts for the random ids, the new
visit ids and the headers). The bare read runs first and last; the ratios use the mean of the
two (the machine is shared: ratios of the same run are what count, absolute figures are noisy).

Part 2, open loop. A fresh database, the service as deployed (one API process, one
`python -m app.worker` for the webhooks, rate limits ON) and a webhook receiver for the police
client; 50 reporters file incidents at Poisson arrivals (50/s on average, 60 s), each measured
from its scheduled arrival (no coordinated omission), while 20 other clients each read the
incident list once a second. Targets: creation p95 < 100 ms, first webhook delivery attempt
p95 < 2 s (from the report's `reported_at`). Then the closed-loop throughput of the same 50
reporters, as a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import embedded
from app.auth.tokens import create_access_token
from app.config import Settings
from app.db import create_engine
from bench import incidents as inc
from bench._bare import prepare
from bench.common import (
    LightClient,
    cpu_seconds,
    free_port,
    pct,
    postgres_cpu_seconds,
    wait_ready,
)
from tests.incidents.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
PG_DIR = ROOT / ".data" / "bench-pg"
LOG = ROOT / ".data" / "bench-request-path.log"


# ---------------------------------------------------------------------------------- wrk


@dataclass
class WrkResult:
    label: str
    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: int  # non-2xx/3xx answers and socket errors
    cpu_ms: float  # the server process's CPU per request


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    assert m, value
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    """rps, p50 ms, p99 ms, requests, errors from `wrk --latency` output."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    n = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(x) for x in m.groups())
    return rps, p50, p99, n, errors


_LUA_UUID = """
math.randomseed(os.time() + %d)
local function uuid4()
  return (string.gsub('xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx', '[xy]', function (c)
    local v = (c == 'x') and math.random(0, 15) or math.random(8, 11)
    return string.format('%%x', v)
  end))
end
"""


def lua_random_item(rows: int) -> str:
    return (
        f"math.randomseed(os.time())\n"
        f"request = function()\n"
        f'  return wrk.format("GET", "/items/" .. math.random(1, {rows}))\n'
        f"end\n"
    )


def lua_new_visit(child_id: str, visited_at: str) -> str:
    """POST /visits with a new client id each time (the rest of the body fixed)."""
    body = (
        '{"id":"%s","child_id":"' + child_id + '","visited_at":"' + visited_at + '",'
        '"mode":"home","findings":{"living_conditions":{"rating":"good","text":"正常"},'
        '"support_received":{"rating":"good","text":"正常"},'
        '"schooling":{"rating":"good","text":"正常"},"health":{"rating":"good","text":"正常"}},'
        '"notes":"压测探访记录，情况良好。"}'
    )
    body = body.replace("\\", "\\\\").replace('"', '\\"')
    return (
        _LUA_UUID % random.randrange(1_000_000)
        + 'wrk.method = "POST"\n'
        + 'wrk.headers["Content-Type"] = "application/json"\n'
        + "request = function()\n"
        + f'  return wrk.format(nil, nil, nil, string.format("{body}", uuid4()))\n'
        + "end\n"
    )


def run_wrk(
    label: str,
    url: str,
    *,
    seconds: int,
    pid: int,
    headers: dict[str, str] | None = None,
    lua: str | None = None,
    connections: int = 32,
) -> WrkResult:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    script = None
    if lua is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(lua)
        cmd += ["-s", script.name]
    cmd.append(url)
    try:
        before = cpu_seconds([pid])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        cpu = cpu_seconds([pid]) - before
    finally:
        if script is not None:
            os.unlink(script.name)
    rps, p50, p99, n, errors = parse_wrk(out)
    return WrkResult(label, rps, p50, p99, n, errors, cpu / max(n, 1) * 1000)


# ------------------------------------------------------------------------------ servers


async def new_database(server: str, settings: Settings, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_database(server: str, settings: Settings, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server, settings)
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def uvicorn(app: str, port: int, env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ready(base: str, proc: subprocess.Popen[bytes], path: str = "/readyz") -> None:
    """Wait for a server that migrates and loads the demo (a minute on a busy machine)."""
    for _ in range(10):
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}): see {LOG}")
        try:
            await wait_ready(base, path)
            return
        except RuntimeError:
            continue
    raise RuntimeError(f"{base} never became ready: see {LOG}")


async def ids(url: str, settings: Settings) -> dict[str, Any]:
    """The demo's admin, one of its village directors with a child of the village, a child."""
    engine = create_engine(url, settings)
    async with engine.connect() as conn:
        admin = (await conn.execute(text("SELECT id FROM users WHERE username='admin'"))).scalar()
        row = (
            await conn.execute(
                text(
                    "SELECT u.id, c.id FROM users u JOIN children c ON c.village_code = u.area_code "
                    "WHERE u.role = 'village_director' AND u.is_active AND c.status = 'active' "
                    "ORDER BY u.username, c.id LIMIT 1"
                )
            )
        ).one()
        children = (await conn.execute(text("SELECT count(*) FROM children"))).scalar()
    await engine.dispose()
    return {"admin": admin, "director": row[0], "child": row[1], "children": children}


# ------------------------------------------------------------------------ part 1: wrk


TARGETS: dict[str, tuple[float, str]] = {
    "GET /healthz": (0.0, ""),
    "GET /api/v1/auth/me": (0.6, "≥ 0.60×"),
    "GET /api/v1/children/{id}": (0.35, "≥ 0.35×, p99 ≤ 3×"),
    "GET /api/v1/children?limit=50": (0.15, "≥ 0.15×"),
    "POST /api/v1/visits (new ids)": (0.15, "≥ 0.15×"),
    "GET /api/v1/sync (empty)": (0.5, "≥ 0.50×"),
}


async def closed_loop(server: str, settings: Settings, seconds: int) -> bool:
    url = await new_database(server, settings, "bench_rp")
    procs: list[subprocess.Popen[bytes]] = []
    log = LOG.open("ab")
    try:
        await prepare(asyncpg_dsn(url))
        sport, bport = free_port(), free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            DEMO_DATA="1",
            MIGRATE_ON_START="1",
            RUN_WORKER_IN_PROCESS="0",
            RATE_LIMIT_ENABLED="0",
        )
        service = uvicorn("app.main:create_app", sport, env, log)
        bare = uvicorn(
            "bench._bare:create_app", bport, dict(os.environ, BARE_DSN=asyncpg_dsn(url)), log
        )
        procs += [service, bare]
        sbase, bbase = f"http://127.0.0.1:{sport}", f"http://127.0.0.1:{bport}"
        await ready(sbase, service)
        await ready(bbase, bare, "/healthz")
        who = await ids(url, settings)
        now = datetime.now(UTC)
        token = {
            k: create_access_token(settings, now=now, subject=who[k], kind="user", extra={})[0]
            for k in ("admin", "director")
        }
        admin_h = {"Authorization": f"Bearer {token['admin']}"}
        director_h = {"Authorization": f"Bearer {token['director']}"}
        async with LightClient(sbase, connections=4) as c:
            for path, h in (
                ("/api/v1/auth/me", admin_h),
                (f"/api/v1/children/{who['child']}", admin_h),
                ("/api/v1/children?limit=50", admin_h),
            ):
                r = await c.get(path, headers=h)
                assert r.status_code == 200, (path, r.status_code, r.text[:300])
            listed = len(
                (await c.get("/api/v1/children?limit=50", headers=admin_h)).json()["items"]
            )
            r = await c.get("/api/v1/sync", headers=director_h)
            assert r.status_code == 200, r.text[:300]
            cursor = r.json()["next_cursor"]
            r = await c.get("/api/v1/sync", params={"cursor": cursor}, headers=director_h)
            assert r.status_code == 200, r.text[:300]
            assert not r.json()["children"], "the sync after a full one is not empty"
        visited_at = (now - timedelta(hours=1)).isoformat()
        rows: list[WrkResult] = []
        kw: dict[str, Any] = {"seconds": seconds}
        bare_lua = lua_random_item(100_000)
        rows.append(run_wrk("bare: SELECT … WHERE id=$1", bbase, pid=bare.pid, lua=bare_lua, **kw))
        s = service.pid
        rows.append(run_wrk("GET /healthz", f"{sbase}/healthz", pid=s, **kw))
        rows.append(
            run_wrk("GET /api/v1/auth/me", f"{sbase}/api/v1/auth/me", pid=s, headers=admin_h, **kw)
        )
        rows.append(
            run_wrk(
                "GET /api/v1/children/{id}",
                f"{sbase}/api/v1/children/{who['child']}",
                pid=s,
                headers=admin_h,
                **kw,
            )
        )
        rows.append(
            run_wrk(
                "GET /api/v1/children?limit=50",
                f"{sbase}/api/v1/children?limit=50",
                pid=s,
                headers=admin_h,
                **kw,
            )
        )
        rows.append(
            run_wrk(
                "POST /api/v1/visits (new ids)",
                f"{sbase}/api/v1/visits",
                pid=s,
                headers=director_h,
                lua=lua_new_visit(str(who["child"]), visited_at),
                **kw,
            )
        )
        # The cursor of the empty sync is taken after the visits (each of which is a change of
        # the child it visits): taken before them, the "empty" sync would send that child.
        cursor = await _empty_cursor(sbase, director_h)
        rows.append(
            run_wrk(
                "GET /api/v1/sync (empty)",
                f"{sbase}/api/v1/sync?cursor={cursor}",
                pid=s,
                headers=director_h,
                **kw,
            )
        )
        rows.append(
            run_wrk("bare: SELECT … WHERE id=$1 (again)", bbase, pid=bare.pid, lua=bare_lua, **kw)
        )
        audit = await _count(
            url, settings, "SELECT count(*) FROM audit_log WHERE action = 'child.read'"
        )
        read = next(r for r in rows if r.label == "GET /api/v1/children/{id}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        log.close()
        await drop_database(server, settings, url)
    bare_rps = (rows[0].rps + rows[-1].rps) / 2
    bare_p99 = (rows[0].p99 + rows[-1].p99) / 2
    print(
        f"bench.request_path: wrk -t1 -c32 -d{seconds}s, one uvicorn process each, "
        f"demo data ({who['children']} children; the 50-child list returned {listed})"
    )
    print(
        f"  {'request':<36} {'rps':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU/req':>8} "
        f"{'errors':>6}  {'× bare rps':>10} {'× bare p99':>10}  target"
    )
    ok = True
    for row in rows:
        ratio = row.rps / bare_rps
        target, wording = TARGETS.get(row.label, (0.0, ""))
        met = ratio >= target and row.errors == 0
        if row.label == "GET /api/v1/children/{id}":
            met = met and row.p99 <= 3 * bare_p99
        ok = ok and met
        mark = ("met" if met else "MISSED") if wording else ""
        print(
            f"  {row.label:<36} {row.rps:7.0f} {row.p50:7.1f} {row.p99:7.1f} {row.cpu_ms:6.2f}ms "
            f"{row.errors:6d}  {ratio:9.2f}× {row.p99 / bare_p99:9.2f}×  {wording} {mark}"
        )
    print(
        f"  (ratios against the mean of the two bare runs: {bare_rps:.0f} rps, p99 {bare_p99:.1f} ms; "
        f"child reads in the audit log: {audit}, at least the {read.requests} wrk counted + 3 probes)"
    )
    return ok


async def _empty_cursor(base: str, headers: dict[str, str]) -> str:
    """A cursor whose next sync is empty (nothing changed since), checked. Right after wrk
    stops, the visits it left in flight are still being written (changes above the cursor's
    horizon): the check is repeated until they are done."""
    async with LightClient(base, connections=1) as c:
        for _ in range(60):
            r = await c.get("/api/v1/sync", headers=headers)
            assert r.status_code == 200, r.text[:300]
            cursor = str(r.json()["next_cursor"])
            r = await c.get("/api/v1/sync", params={"cursor": cursor}, headers=headers)
            assert r.status_code == 200, r.text[:300]
            body = r.json()
            if not body["children"] and not body["tombstones"]:
                return cursor
            await asyncio.sleep(1)
    raise RuntimeError("the sync after a full one never came back empty")


async def _count(url: str, settings: Settings, sql: str) -> int:
    engine = create_engine(url, settings)
    async with engine.connect() as conn:
        n = (await conn.execute(text(sql))).scalar()
    await engine.dispose()
    return int(n or 0)


# ------------------------------------------------------------------ part 2: open loop


async def open_loop(server: str, settings: Settings, seconds: int, rate: float) -> bool:
    url = await new_database(server, settings, "bench_rp_inc")
    receiver = Receiver()
    await receiver.start()
    bases, procs = inc._start(url, 1)
    client = LightClient(bases[0], connections=100, timeout=30)
    reporters, readers = 50, 20
    try:
        await ready(bases[0], procs[0])
        procs.append(inc._start_worker(url))
        users = await inc._seed(url, settings, reporters + readers, receiver.url)
        now = datetime.now(UTC)
        tokens = [
            create_access_token(settings, now=now, subject=u, kind="user", extra={})[0]
            for u in users
        ]
        started: dict[str, float] = {}

        async def post(k: int) -> float:
            body = inc._body()
            t0 = time.perf_counter()
            r = await client.post(
                "/api/v1/incidents",
                json=body,
                headers={"Authorization": f"Bearer {tokens[k]}"},
            )
            if r.status_code != 201:
                raise RuntimeError(f"HTTP {r.status_code}")
            started[body["id"]] = datetime.fromisoformat(r.json()["reported_at"]).timestamp()
            return time.perf_counter() - t0

        for k in range(10):  # warm-up, one at a time
            await post(k)
        await inc._drained(receiver, 10, within=30)
        failures: list[str] = []
        # Closed loop first, as a figure: the same 50 reporters, each filing the next report
        # as soon as the last one is answered; its deliveries drain before the open loop.
        closed_for = 5.0 if seconds < 30 else 20.0
        filed = 0

        async def closed(k: int, until: float) -> None:
            nonlocal filed
            while time.perf_counter() < until:
                try:
                    await post(k)
                    filed += 1
                except Exception as exc:
                    failures.append(f"closed loop: {type(exc).__name__}")

        t1 = time.perf_counter()
        await asyncio.gather(*(closed(k, t1 + closed_for) for k in range(reporters)))
        closed_rps = filed / (time.perf_counter() - t1)
        await inc._drained(receiver, len(started), within=120)
        warm = set(started)
        # Open loop: arrivals at exponential gaps; each report measured from its scheduled
        # arrival, so a slow server cannot slow the arrivals down (no coordinated omission).
        rng = random.Random(30)
        arrivals, t = [], 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= seconds:
                break
            arrivals.append(t)
        latencies: list[float] = []
        reads: list[float] = []
        stop = asyncio.Event()

        async def report(k: int, at: float, t0: float) -> None:
            delay = t0 + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await post(k)
            except Exception as exc:  # a timeout or an error answer: counted, not fatal
                failures.append(str(exc) if isinstance(exc, RuntimeError) else type(exc).__name__)
                return
            latencies.append(time.perf_counter() - (t0 + at))

        async def reader(k: int) -> None:
            h = {"Authorization": f"Bearer {tokens[reporters + k]}"}
            await asyncio.sleep(k / readers)
            while not stop.is_set():
                t1 = time.perf_counter()
                try:
                    r = await client.get("/api/v1/incidents", params={"limit": "50"}, headers=h)
                    if r.status_code != 200:
                        raise RuntimeError(f"HTTP {r.status_code}")
                    reads.append(time.perf_counter() - t1)
                except Exception as exc:
                    failures.append(
                        f"list: {exc if isinstance(exc, RuntimeError) else type(exc).__name__}"
                    )
                await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - t1)))

        cpu_before = cpu_seconds([p.pid for p in procs]), postgres_cpu_seconds(PG_DIR)
        t0 = time.perf_counter()
        reading = [asyncio.create_task(reader(k)) for k in range(readers)]
        await asyncio.gather(*(report(rng.randrange(reporters), at, t0) for at in arrivals))
        stop.set()
        await asyncio.gather(*reading, return_exceptions=True)
        wall = time.perf_counter() - t0
        cpu = cpu_seconds([p.pid for p in procs]) - cpu_before[0]
        pg = postgres_cpu_seconds(PG_DIR) - cpu_before[1]
        await inc._drained(receiver, len(started), within=60)
        got = inc._arrival_times(receiver)
        loaded = [got[i] - started[i] for i in started if i not in warm and i in got]
        missing = sum(1 for i in started if i not in warm and i not in got)
    finally:
        await client.aclose()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        await receiver.stop()
        await drop_database(server, settings, url)
    ms = [x * 1000 for x in latencies] or [float("nan")]
    rd = [x * 1000 for x in reads] or [float("nan")]
    dl = [x * 1000 for x in loaded] or [float("nan")]
    print(
        f"bench.request_path incidents, open loop: Poisson {rate:.0f}/s for {seconds} s "
        f"({len(arrivals)} reports from {reporters} reporters), {readers} readers of the list "
        f"(one read a second each), 1 API process + 1 worker, rate limits on"
    )
    print(
        f"  creation ({len(latencies)} answered)  p50 {pct(ms, 50):6.1f} ms  p95 {pct(ms, 95):6.1f} ms  "
        f"p99 {pct(ms, 99):6.1f} ms  max {max(ms):6.1f} ms   target p95 < 100 ms: "
        f"{'met' if pct(ms, 95) < 100 else 'MISSED'}"
    )
    print(
        f"  first delivery      p50 {pct(dl, 50):6.0f} ms  p95 {pct(dl, 95):6.0f} ms  "
        f"max {max(dl):6.0f} ms  ({len(dl)} delivered, {missing} not within 60 s)   "
        f"target p95 < 2000 ms: {'met' if pct(dl, 95) < 2000 and not missing else 'MISSED'}"
    )
    print(
        f"  list reads          p50 {pct(rd, 50):6.1f} ms  p95 {pct(rd, 95):6.1f} ms  ({len(rd)} reads)"
    )
    print(
        f"  CPU per report (API + worker) {cpu / max(len(arrivals), 1) * 1000:.1f} ms, "
        f"PostgreSQL {pg / max(len(arrivals), 1) * 1000:.1f} ms (with the reads), wall {wall:.1f} s"
    )
    print(f"  closed loop (a figure): {closed_rps:.0f} reports/s from {reporters} reporters")
    if failures:
        kinds = {f: failures.count(f) for f in sorted(set(failures))}
        print(f"  failed requests (timeouts at 30 s or errors): {kinds}")
    return pct(ms, 95) < 100 and pct(dl, 95) < 2000 and not missing and not failures


async def main(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian package `wrk`; CI: .ci/install-wrk)", file=sys.stderr)
        return 1
    settings = Settings(demo_data=False)
    server = embedded.start(ROOT / ".data", name="bench-pg")
    ok = True
    if not args.incidents_only:
        ok = await closed_loop(server, settings, 3 if args.small else args.seconds) and ok
    if not args.wrk_only:
        ok = await open_loop(server, settings, 10 if args.small else 60, 50.0) and ok
    print("  result:", "all targets met" if ok else "a target MISSED")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.request_path")
    parser.add_argument("--small", action="store_true", help="CI size")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per row")
    parser.add_argument("--wrk-only", action="store_true")
    parser.add_argument("--incidents-only", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
