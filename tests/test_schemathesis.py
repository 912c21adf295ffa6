"""Property-based API tests over every operation of the running service: never a 500.

The service runs as a real process (uvicorn) on a scratch database, with an account for every
role and an agency client with every scope. Two tests, each over every operation of the schema
the code serves now (not the committed openapi.json, which may lag behind):

- `test_api_conforms`: schemathesis generates requests (examples, coverage and fuzzing phases;
  valid and invalid data); each is sent with a token the operation admits (the district admin's,
  else the first role or client not refused with 403), and its answer must be documented, match
  its schema, and never be a 500.
- `test_boundary_values`: every parameter and body field in turn gets the values that broke the
  service before (months 0001-01 and 9999-12, dates of year 1 and 9999, 1e309, NaN, Infinity,
  400 nines, very long strings, numbers beyond 64 bits) in an otherwise schema-valid request:
  every answer must be below 500.

Random generation alone did not find these: a month pattern `\\d{4}-MM` admits 9999-12 but a
random string is rarely it, and the money pattern keeps "1e309" out of positive data.

Bounded in time: SCHEMATHESIS_EXAMPLES (default 8) generated requests per operation and mode, a
failure reported as found (not shrunk); the boundary sweep sends about 20 requests per field.
The server's log must hold no traceback at the end.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from app.main import create_app
from app.manage import scratch_database
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = create_app(make_settings("postgresql+asyncpg://u@localhost/x")).openapi()
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
# Valid and invalid data; schemathesis' own coverage phase is left out for time: the boundary
# sweep below sends the values that matter here to every field, deterministically.
schema = schemathesis.openapi.from_dict(
    SPEC,
    config=schemathesis.Config.from_dict(
        {
            "phases": {"coverage": {"enabled": False}},
            "generation": {"mode": "all", "max-examples": EXAMPLES},
        }
    ),
)
ADMIN_PASSWORD = "Fuzz-Admin-Pass-1"
PASSWORD = "Fuzz-Role-Pass-12345"
DISTRICT, TOWN, VILLAGE = "110115", "110115001", "110115001001"
ROLES = {
    "district_leader": DISTRICT,
    "auditor": DISTRICT,
    "institution_staff": DISTRICT,
    "town_supervisor": TOWN,
    "village_director": VILLAGE,
}


@dataclass
class LiveServer:
    url: str
    # The district admin's token first, then one per other role, then an agency client's.
    tokens: dict[str, str] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def scratch_url(database_url: str) -> AsyncIterator[str]:
    async with scratch_database(database_url) as url:
        yield url


def _token(base: str, **form: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data=form)
    r.raise_for_status()
    return str(r.json()["access_token"])


def _accounts(base: str) -> dict[str, str]:
    """A token per role (and an agency client's): the admin creates the others."""
    tokens = {
        "district_admin": _token(
            base, grant_type="password", username="fuzz-admin", password=ADMIN_PASSWORD
        )
    }
    admin = {"Authorization": f"Bearer {tokens['district_admin']}"}
    csv = (
        "code,name,level,parent_code\n"
        f"{TOWN},模糊测试镇,town,{DISTRICT}\n"
        f"{VILLAGE},模糊测试村,village,{TOWN}\n"
    )
    r = httpx.post(
        f"{base}/api/v1/areas/import",
        content=csv.encode(),
        headers=admin | {"Content-Type": "text/csv"},
    )
    r.raise_for_status()
    for role, area in ROLES.items():
        username = f"fuzz-{role.replace('_', '-')}"
        body = {
            "username": username,
            "password": PASSWORD,
            "full_name": role,
            "role": role,
            "area_code": area,
        }
        httpx.post(f"{base}/api/v1/users", json=body, headers=admin).raise_for_status()
        tokens[role] = _token(base, grant_type="password", username=username, password=PASSWORD)
    r = httpx.post(
        f"{base}/api/v1/agency-clients",
        json={"name": "模糊测试公安", "agency": "police", "scopes": list(SCOPES)},
        headers=admin,
    )
    r.raise_for_status()
    client = r.json()
    tokens["agency"] = _token(
        base,
        grant_type="client_credentials",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        scope=" ".join(SCOPES),
    )
    return tokens


SCOPES = ("referrals:read", "referrals:write", "children:read", "screening:read")


@pytest.fixture(scope="module")
def live_server(scratch_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = free_port()
    log = tmp_path_factory.mktemp("schemathesis") / "server.log"
    env = os.environ | {
        "APP_ENV": "test",
        "DATABASE_URL": scratch_url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "JWT_SIGNING_KEY": "schemathesis-signing-key-0123456789abcdef",
        "ENCRYPTION_KEYS": "s1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "ENCRYPTION_ACTIVE_KEY_ID": "s1",
        "HMAC_KEY": "schemathesis-hmac-key-0123456789abcdef",
        "DEMO_DATA": "0",
        "MIGRATE_ON_START": "1",
        "BOOTSTRAP_ADMIN_USERNAME": "fuzz-admin",
        "BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMIT_PER_MINUTE": "1000000",
        "RATE_LIMIT_BURST": "1000000",
        "RATE_LIMIT_TOKEN_PER_MINUTE": "1000000",
        "RATE_LIMIT_TOKEN_BURST": "1000000",
    }
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.3)
        else:
            raise RuntimeError("service not ready: " + log.read_text())
        yield LiveServer(url=base, tokens=_accounts(base))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        text = log.read_text()
        artifacts = ROOT / "test-artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "schemathesis-server.log").write_text(text)
        at = text.find("Traceback")
        assert at < 0, text[max(0, at - 500) : at + 4000]


def _refused(response: Any) -> bool:
    return int(response.status_code) == 403


# Every operation of the schema (the pages and probes outside /api/ too), one pytest item each:
# schemathesis' own `schema.parametrize()` gave all its items one node id, which pytest-xdist
# collapses to a single report, so half of this file never ran under `make test`.
ALL_OPERATIONS = [(method.upper(), path) for path, ops in SPEC["paths"].items() for method in ops]


def _strategy(method: str, path: str) -> Any:
    """Valid and invalid data of the operation, and the schema's own examples first."""
    operation = schema[path][method]
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [*operation.get_strategies_from_examples()]
    strategies += [operation.as_strategy(generation_mode=mode) for mode in modes]
    return st.one_of(strategies)


@pytest.mark.parametrize(
    ("method", "path"), ALL_OPERATIONS, ids=[f"{m} {p}" for m, p in ALL_OPERATIONS]
)
def test_api_conforms(live_server: LiveServer, method: str, path: str) -> None:
    @given(case=_strategy(method, path))
    @settings(
        max_examples=2 * EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
        database=None,
    )
    def conforms(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
        response = None
        for token in live_server.tokens.values():
            response = case.call(
                base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}
            )
            if not _refused(response):
                break
        assert response is not None
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        case.validate_response(
            response,
            # Schema-valid is not business-valid (an unknown area code, a cursor never issued):
            # those answers are documented 4xx problems, so positive-data acceptance is not asked.
            excluded_checks=[positive_data_acceptance],
        )

    conforms()


# --------------------------------------------------------------------------- boundary values

TEXT = [
    "0001-01",
    "9999-12",
    "0000-00",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-12:00",
    "9999Q4",
    "0001-0002",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "9" * 400,
    "0." + "0" * 400 + "1",
    "\u0000",
]
LONG = "长" * 100_000  # bodies only: a URL this long is refused by the HTTP layer itself
NUMBERS: list[Any] = [0, -1, 2**31, 2**63, 10**400, 1e308, -1e308]


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _kinds(node: Any) -> set[str]:
    node = _resolve(node)
    if not isinstance(node, dict):
        return set()
    kinds = {node["type"]} if isinstance(node.get("type"), str) else set()
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key, []):
            kinds |= _kinds(sub)
    return kinds


def _values(node: Any, *, in_body: bool) -> list[Any]:
    kinds = _kinds(node)
    out: list[Any] = []
    if not kinds or kinds & {"string", "array", "object"}:
        # In a URL: long, but within the HTTP layer's limit on the request line
        out += TEXT + ([LONG] if in_body else ["长" * 500])
    if kinds & {"integer", "number"}:
        out += NUMBERS if in_body else [str(n) for n in NUMBERS]
    return out


def _body_fields(operation: Any) -> dict[str, Any]:
    """The JSON body's fields, one level into nested objects (`facts.birth_date`)."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return {}
    fields: dict[str, Any] = {}
    body = _resolve(content["application/json"].get("schema", {}))
    for choice in [body, *body.get("anyOf", [])]:
        for name, sub in _resolve(choice).get("properties", {}).items():
            fields[name] = sub
            for inner in [sub, *_resolve(sub).get("anyOf", [])]:
                for name2, sub2 in _resolve(inner).get("properties", {}).items():
                    fields[f"{name}.{name2}"] = sub2
    return fields


def _base(method: str, path: str) -> Any:
    """One schema-valid request of the operation (a starting point to change): generated once,
    not searched for and shrunk (hypothesis.find takes seconds on a patterned body)."""
    found: list[Any] = []

    @given(schema[path][method.upper()].as_strategy())
    @settings(
        max_examples=1,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    def first(case: Any) -> None:
        found.append(case)

    first()
    return found[0]


OPERATIONS = [
    (method.upper(), path)
    for path, ops in SPEC["paths"].items()
    for method in ops
    if path.startswith("/api/")
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
async def test_boundary_values(live_server: LiveServer, method: str, path: str) -> None:
    operation = SPEC["paths"][path][method.lower()]
    case = _base(method, path)
    body = case.body if isinstance(case.body, dict) else None
    requests: list[tuple[str, dict[str, Any], dict[str, Any] | None]] = []
    for parameter in map(_resolve, operation.get("parameters", [])):
        where, name = parameter["in"], parameter["name"]
        if where not in ("path", "query"):
            continue
        for value in _values(parameter.get("schema"), in_body=False):
            params = dict(case.path_parameters or {}) | dict(case.query or {})
            params[name] = value
            requests.append((where, params, body))
    if body is not None:
        for name, sub in _body_fields(operation).items():
            for value in _values(sub, in_body=True):
                changed = json.loads(json.dumps(body))
                outer, _, inner = name.partition(".")
                if inner:
                    if not isinstance(changed.get(outer), dict):
                        continue
                    changed[outer][inner] = value
                else:
                    changed[outer] = value
                requests.append(("body", {}, changed))
    path_names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
    failures = []
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        for where, params, json_body in requests:
            values = params or dict(case.path_parameters or {}) | dict(case.query or {})
            url = path.format(
                **{k: quote(str(v), safe="") for k, v in values.items() if k in path_names}
            )
            query = {k: str(v) for k, v in values.items() if k not in path_names}
            content = None if json_body is None else json.dumps(json_body).encode()
            for token in live_server.tokens.values():
                r = await client.request(
                    method,
                    url,
                    params=query,
                    content=content,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                if r.status_code != 403:
                    break
            if r.status_code >= 500:
                failures.append((where, url, query, json.dumps(json_body)[:300], r.text[:300]))
    assert failures == []
