"""Demo mandatory reports 强制报告: a few reports in every state, each naming its situations.

Runs after the ledger's loader (it reports on demo children that exist; none → only the report
of a minor not on the ledger) and only once (any incident present → skip). Every report names
the situations of the 2020 opinion that fit the child the ledger knows (situation 2 only for a
girl under 14 on the day of discovery), one old report carries situations inferred by the
migration from its kinds, and each is referred to the police with the deadline its situations
call for. No webhook deliveries are made: the demo's agency clients have no webhook.
"""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.roles import Role
from app.config import Settings
from app.incidents.situations import age_on, is_urgent
from app.kit.demo_loader import already_loaded, demo_now
from app.models import Child, Incident, IncidentStep, Referral, User

ORDER = ("reported", "acknowledged", "investigating", "intervening", "closed")


@dataclass(frozen=True)
class _Spec:
    who: str  # girl_under_14 | boy | any | stranger
    situations: list[str]
    kinds: list[str]
    description: str
    status: str
    hours_ago: float
    danger: bool = False
    outcome: str | None = None
    inferred: bool = False
    facts: dict[str, Any] = field(default_factory=dict)


_SPECS = (
    _Spec(
        "girl_under_14",
        ["girl_under_14_sexual_assault_or_pregnancy"],
        ["sexual_abuse"],
        "孩子向老师反映遭邻居猥亵，情绪异常",
        "reported",
        0.1,
    ),
    _Spec(
        "boy",
        ["injuries_suggesting_violence"],
        ["physical_abuse", "domestic_violence"],
        "探访时发现孩子背部、手臂多处淤青，自述被父亲殴打",
        "acknowledged",
        20,
    ),
    _Spec(
        "any",
        ["abandonment_or_no_care"],
        ["neglect"],
        "祖母住院两周，孩子独自在家，无人照料",
        "investigating",
        72,
    ),
    _Spec(
        "stranger",
        ["unknown_origin_missing_or_trafficked", "organised_begging"],
        ["trafficking", "begging"],
        "车站附近发现一名男孩随成年人乞讨，说不清家庭住址",
        "intervening",
        240,
        danger=True,
        facts={"name": "无名男孩", "gender": "male", "age": 8},
    ),
    _Spec(
        "any",
        ["other_serious_harm"],
        ["other"],
        "孩子反映在校外被人威胁索要钱物",
        "closed",
        900,
        outcome="unsubstantiated",
    ),
    _Spec(
        "boy",
        ["abandonment_or_no_care"],
        ["abandonment"],
        "父母外出后长期失联，孩子由邻居临时照看",
        "closed",
        2400,
        outcome="substantiated",
        inferred=True,  # filed before situations existed; inferred from its kinds
    ),
)


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, Incident):
        return
    rng = random.Random(20261207)
    now, today = demo_now()
    kids = list(
        (
            await session.execute(
                select(Child).where(
                    Child.status == "active",
                    Child.placement == "dispersed",
                    Child.village_code.like(settings.district_code + "%"),
                )
            )
        ).scalars()
    )
    rng.shuffle(kids)
    admin = (
        await session.execute(select(User).where(User.role == Role.DISTRICT_ADMIN).limit(1))
    ).scalar_one_or_none()
    if admin is None:
        return
    used: set[uuid.UUID] = set()

    def pick(who: str) -> Child | None:
        for kid in kids:
            if kid.id in used:
                continue
            if who == "girl_under_14" and not (
                kid.gender == "female" and age_on(kid.birth_date, today) < 14
            ):
                continue
            if who == "boy" and kid.gender != "male":
                continue
            used.add(kid.id)
            return kid
        return None

    for spec in _SPECS:
        child = None if spec.who == "stranger" else pick(spec.who)
        if child is None and spec.who != "stranger":
            continue
        reporter = admin
        if child is not None:
            director = (
                await session.execute(
                    select(User).where(
                        User.role == Role.VILLAGE_DIRECTOR, User.area_code == child.village_code
                    )
                )
            ).scalar_one_or_none()
            reporter = director or admin
        await _report(session, settings, spec, child, reporter, admin, now)
    await session.flush()


async def _report(
    session: AsyncSession,
    settings: Settings,
    spec: _Spec,
    child: Child | None,
    reporter: User,
    admin: User,
    now: datetime,
) -> None:
    reported_at = now - timedelta(hours=spec.hours_ago)
    urgent = is_urgent(spec.situations, spec.danger)
    incident = Incident(
        id=uuid.uuid4(),
        status=spec.status,
        outcome=spec.outcome,
        child_id=child.id if child else None,
        child_name=spec.facts.get("name"),
        child_gender=spec.facts.get("gender"),
        child_age=spec.facts.get("age"),
        area_code=child.village_code if child else reporter.area_code,
        situations=spec.situations,
        situations_inferred=spec.inferred,
        kinds=spec.kinds,
        description=spec.description,
        discovered_at=reported_at - timedelta(minutes=30),
        location="村委会" if child else "大兴区某车站",
        immediate_danger=spec.danger,
        urgent=urgent,
        reporter_id=reporter.id,
        reporter_name=reporter.full_name,
        reported_at=reported_at,
        closed_at=reported_at + timedelta(hours=spec.hours_ago / 2)
        if spec.status == "closed"
        else None,
        interventions=[],
        version=1,
    )
    session.add(incident)
    await session.flush()
    session.add_all(_steps(incident, spec, reporter, admin, reported_at))
    session.add(_police_referral(settings, spec, incident, reporter, reported_at))


def _steps(
    incident: Incident, spec: _Spec, reporter: User, admin: User, reported_at: datetime
) -> list[IncidentStep]:
    """The report's steps up to its status, the admin's spread over the hours since."""
    steps = [
        IncidentStep(
            incident_id=incident.id,
            to_status="reported",
            at=reported_at,
            actor_kind="user",
            actor_id=str(reporter.id),
            actor_name=reporter.full_name,
        )
    ]
    reached = ORDER.index(spec.status)
    for n, (before, to) in enumerate(itertools.pairwise(ORDER[: reached + 1]), 1):
        steps.append(
            IncidentStep(
                incident_id=incident.id,
                from_status=before,
                to_status=to,
                at=reported_at + timedelta(hours=spec.hours_ago * n / (reached + 2)),
                actor_kind="user",
                actor_id=str(admin.id),
                actor_name=admin.full_name,
                outcome=spec.outcome if to == "closed" else None,
            )
        )
    return steps


def _police_referral(
    settings: Settings, spec: _Spec, incident: Incident, reporter: User, reported_at: datetime
) -> Referral:
    """The report's referral to the police, acknowledged unless the report is still new."""
    urgent = incident.urgent
    minutes = (
        settings.incident_urgent_ack_sla_minutes if urgent else settings.incident_ack_sla_minutes
    )
    acknowledged = spec.status != "reported"
    return Referral(
        id=uuid.uuid4(),
        incident_id=incident.id,
        agency="police",
        status="acknowledged" if acknowledged else "pending",
        urgent=urgent,
        referred_at=reported_at,
        ack_due_at=reported_at + timedelta(minutes=minutes),
        acknowledged_at=reported_at + timedelta(minutes=minutes // 2) if acknowledged else None,
        acknowledged_by="公安分局值班室" if acknowledged else None,
        agency_case_number=f"JQ{reported_at:%Y%m%d}{incident.id.hex[:4].upper()}"
        if acknowledged
        else None,
        created_by=reporter.full_name,
    )
