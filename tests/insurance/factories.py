"""Factories of the insurance tests: schemes through the API, ledger children in the session."""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from app.children.projection import ID_CONTEXT
from app.config import Settings
from app.models import Child, ChildChange
from tests.conftest import AuthHeaders
from tests.subsidies.factories import keyring, make_child

INS = "/api/v1/insurance"
YEAR = 2027  # the coming insurance year (tests run on 2026-06-15)
ALL = ["orphan", "de_facto_unsupported", "poor_family_seriously_ill", "poor_family_disabled"]
PREMIUMS = {"basic_medical": "380.00", "puhuibao": "195.00", "supplementary": "120.00"}
COVERS = {
    "basic_medical": ALL,
    "puhuibao": ["de_facto_unsupported"],
    "supplementary": ["de_facto_unsupported"],
}


def scheme_body(
    scheme: str = "basic_medical", year: int = YEAR, **overrides: Any
) -> dict[str, Any]:
    return {
        "scheme": scheme,
        "year": year,
        "effective_from": "2026-01-01",
        "premium": PREMIUMS[scheme],
        "categories": COVERS[scheme],
        "window_from": f"{year - 1}-09-01",
        "window_to": f"{year - 1}-12-31",
        "reference": "测试参数",
    } | overrides


async def schemes(
    client: httpx.AsyncClient, auth: AuthHeaders, years: tuple[int, ...] = (YEAR,)
) -> None:
    """Every scheme's parameters for `years`."""
    for year in years:
        for scheme in PREMIUMS:
            r = await client.post(
                f"{INS}/schemes", json=scheme_body(scheme, year), headers=auth("admin")
            )
            assert r.status_code == 201, r.text


async def kid(session: AsyncSession, settings: Settings, **overrides: Any) -> tuple[Child, str]:
    """A ledger child and its ID number in the clear."""
    child = await make_child(session, settings, **overrides)
    return child, keyring(settings).decrypt(child.id_number_enc, context=ID_CONTEXT)


async def category_changed(
    session: AsyncSession, child: Child, before: str, on: date = date(2026, 3, 1)
) -> None:
    """The history of a category change made on `on` (as the ledger's edit writes it)."""
    session.add(
        ChildChange(
            id=uuid.uuid4(),
            child_id=child.id,
            kind="changed",
            ledger_month=on.replace(day=1),
            changes=[{"field": "category", "from": before, "to": child.category}],
            effective_on=on,
            state={},
        )
    )
    await session.flush()


async def enrol(
    client: httpx.AsyncClient, auth: AuthHeaders, child: Child, **overrides: Any
) -> httpx.Response:
    body = {"child_id": str(child.id), "scheme": "basic_medical", "year": YEAR} | overrides
    return await client.post(f"{INS}/enrolments", json=body, headers=auth("admin"))


async def enrolled(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    child: Child,
    scheme: str,
    on: str,
    year: int = 2026,
    **overrides: Any,
) -> dict[str, Any]:
    """An enrolment confirmed on `on` (a policy number of the scheme)."""
    fields = {"status": "enrolled", "policy_number": f"P-{scheme}", "enrolled_on": on}
    r = await enrol(client, auth, child, scheme=scheme, year=year, **fields | overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def worklist(
    client: httpx.AsyncClient, auth: AuthHeaders, user: str = "admin", **params: Any
) -> dict[str, dict[str, Any]]:
    """The worklist by child id."""
    query: dict[str, Any] = {"year": YEAR, "scheme": "basic_medical", "limit": 500} | params
    r = await client.get(f"{INS}/worklist", params=query, headers=auth(user))
    assert r.status_code == 200, r.text
    return {item["child_id"]: item for item in r.json()["items"]}


def sheet_rows(content: bytes, sheet: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    return [tuple(row) for row in book[sheet].iter_rows(values_only=True)]


def answer_csv(rows: list[dict[str, str]]) -> bytes:
    header = ["id_number", "year", "scheme", "result", "policy_number", "premium", "enrolled_on"]
    lines = [",".join(header)]
    lines += [",".join(r.get(h, "") for h in header) for r in rows]
    return ("\n".join(lines) + "\n").encode()
