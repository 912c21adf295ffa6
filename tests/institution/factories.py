"""Builders for institute-care tests: residents (ledger children placed in the institute) and
request bodies with the binding field names of issue 23."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.models import Child
from tests.incidents.factories import make_child

CARE_PLAN = "/api/v1/children/{}/care-plan"
CARE_RECORDS = "/api/v1/institution/care-records"
SESSIONS = "/api/v1/institution/counselling-sessions"
ACTIVITIES = "/api/v1/institution/activities"
VOLUNTEERS = "/api/v1/volunteers"
TUTORING = "/api/v1/institution/tutoring-sessions"
REPORTS = "/api/v1/institution/reports/{}"
CLEAR = {"queried_on": "2026-03-01", "result": "clear", "reference": "京公查-2026-0301"}


async def resident(
    session: AsyncSession, settings: Settings, *, left_on: date | None = None, **extra: Any
) -> Child:
    """A child of the institute (with `left_on`: revoked on that day, no longer a resident)."""
    child = await make_child(session, settings, placement="institution", village=None, **extra)
    if left_on is not None:
        child.status, child.revoked_on, child.revoke_reason = "revoked", left_on, "other"
        await session.commit()
    return child


def plan(year: int = 2026, reviewed_on: str = "2026-06-01", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "year": year,
        "reviewed_on": reviewed_on,
        "domains": {
            "care": {"goals": ["规律作息"], "services": ["生活照料"]},
            "treatment": {"goals": ["控制哮喘"], "services": ["每月复诊"]},
            "education": {"goals": ["完成五年级学业"], "services": ["周末辅导"]},
            "rehabilitation": {"goals": [], "services": []},
        },
    }
    body.update(overrides)
    return body


def care_record(child_id: uuid.UUID, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "child_id": str(child_id),
        "domain": "treatment",
        "kind": "medical_appointment",
        "recorded_on": "2026-06-10",
        "notes": "区医院儿科复诊，哮喘控制良好",
    }
    body.update(overrides)
    return body


def counselling(
    counsellor_id: uuid.UUID, child_ids: list[uuid.UUID], **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "mode": "one_to_one" if len(child_ids) == 1 else "group",
        "counsellor_id": str(counsellor_id),
        "child_ids": [str(c) for c in child_ids],
        "held_on": "2026-06-12",
        "minutes": 50,
        "topics": ["情绪管理"],
        "summary": "情绪较上月稳定，建议继续每两周一次",
        "confidential_notes": "孩子谈到对生母的思念与愤怒（保密）",
    }
    body.update(overrides)
    return body


def activity(child_ids: list[uuid.UUID], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "outing",
        "title": "观看京剧《三岔口》",
        "partner_organisation": "区文化馆",
        "held_on": "2026-06-06",
        "child_ids": [str(c) for c in child_ids],
        "photos": ["photo://2026-06-06/001"],
    }
    body.update(overrides)
    return body


def volunteer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "志愿者甲",
        "organisation": "区青年志愿者服务中心",
        "phone": "13800000000",
        "record_check": dict(CLEAR),
    }
    body.update(overrides)
    return body


def tutoring(
    volunteer_ids: list[str], child_ids: list[uuid.UUID], **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "volunteer_ids": volunteer_ids,
        "child_ids": [str(c) for c in child_ids],
        "held_on": "2026-06-13",
        "minutes": 90,
        "subject": "数学",
    }
    body.update(overrides)
    return body


def fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem.get("errors", [])]
