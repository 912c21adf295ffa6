"""Every insurance write and every read of children's enrolments is in the audit log, with its
actor; a refused write leaves nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import AuditEntry
from tests.conftest import AuthHeaders
from tests.insurance.factories import INS, YEAR, answer_csv, enrol, kid, schemes


async def _actions(session: AsyncSession, prefix: str) -> list[tuple[str, str | None]]:
    rows = await session.execute(
        select(AuditEntry.action, AuditEntry.principal_name)
        .where(AuditEntry.action.startswith(prefix))
        .order_by(AuditEntry.id)
    )
    return [(a, n) for a, n in rows.tuples()]


async def test_insurance_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, settings: Settings
) -> None:
    await schemes(client, auth)
    child, idn = await kid(session, settings)
    e = (await enrol(client, auth, child)).json()
    assert (await enrol(client, auth, child)).status_code == 409  # refused: not audited
    q: dict[str, str | int] = {"year": YEAR, "scheme": "basic_medical"}
    await client.get(f"{INS}/enrolments/{e['id']}", headers=auth("leader"))
    await client.get(f"{INS}/enrolments", params=q, headers=auth("sup1"))
    await client.get(f"{INS}/worklist", params=q, headers=auth("auditor"))
    await client.post(f"{INS}/submission-file", json=q, headers=auth("admin"))
    answer = answer_csv(
        [{"id_number": idn, "year": str(YEAR), "result": "enrolled", "policy_number": "P-1"}]
    )
    r = await client.post(
        f"{INS}/answers/import",
        params=q,
        content=answer,
        headers=auth("admin") | {"Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert await _actions(session, "insurance") == [
        ("insurance_scheme.create", "admin"),
        ("insurance_scheme.create", "admin"),
        ("insurance_scheme.create", "admin"),
        ("insurance_enrolment.create", "admin"),
        ("insurance_enrolment.read", "leader"),
        ("insurance_enrolment.list", "sup1"),
        ("insurance.worklist", "auditor"),
        ("insurance.submission_export", "admin"),
        ("insurance.answer_import", "admin"),
    ]
