"""Demo intakes of the protection centre 未成年人社会保护中心: a handful in each state.

Open: an unidentified street-begging boy taken in this morning, a trafficking-rescued girl the
police announced two days ago (her identity check is overdue: the escalation job flags it), a
child in temporary guardianship placed with relatives, a domestic-violence shelter stay (its
placement and notes confidential). Closed: one of each outcome — returned to a family of a demo
village (with its three follow-up visits, the first made), transferred, family foster care,
long-term guardianship waiting for an ID number to enrol the child on the ledger, adulthood.
Also a `protect` account (protection_staff). Synthetic names; ID numbers made up with valid
check characters. Runs once (any intake present → skip).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.config import Settings
from app.kit import idnumber
from app.kit.context import keyring_from_settings
from app.kit.crypto import KeyRing
from app.kit.demo_loader import already_loaded
from app.models import (
    AgencyClient,
    Area,
    Base,
    ProtectionFamilyAssessment,
    ProtectionFollowUpVisit,
    ProtectionIntake,
    ProtectionPlacement,
    ProtectionTracing,
    User,
)
from app.protection.enrolment import ID_CONTEXT
from app.protection.rules import day_of, follow_up_dates

DEMO_PASSWORD = "Demo-Pass-2026"  # noqa: S105 - demo accounts only (as app.demo's)


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, ProtectionIntake):
        return
    await _staff_account(session, settings.district_code)
    village = await session.scalar(
        select(Area.code).where(Area.level == "village").order_by(Area.code).limit(1)
    )
    police = await session.scalar(
        select(AgencyClient.id).where(AgencyClient.agency == "police").limit(1)
    )
    make = _Maker(settings.district_code, keyring_from_settings(settings), datetime.now(UTC))
    intakes = _open_intakes(make, police) + _closed_intakes(make, village)
    session.add_all(intakes)
    await session.flush()
    for row in intakes:
        session.add_all(_stay_records(row, day_of(make.now)))
    await session.flush()


async def _staff_account(session: AsyncSession, district: str) -> None:
    if await session.scalar(select(exists().where(User.username == "protect"))):
        return
    session.add(
        User(
            id=uuid.uuid4(),
            username="protect",
            password_hash=hash_password(DEMO_PASSWORD),
            full_name="演示保护中心工作人员",
            role=Role.PROTECTION_STAFF,
            area_code=district,
            is_active=True,
            failed_logins=0,
            version=1,
        )
    )


@dataclass
class _Maker:
    """Makes the demo intakes: admitted some hours before `now`, ID numbers encrypted."""

    district: str
    ring: KeyRing
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(20260615))

    def id_number(self, born: date, gender: idnumber.Gender) -> str:
        return idnumber.make(born, gender, rng=self.rng, division_code=self.district)

    def intake(self, hours_ago: float, **values: Any) -> ProtectionIntake:
        number = values.pop("id_number", None)
        defaults: dict[str, Any] = {
            "brought_by": {"kind": "police", "name": "演示派出所", "contact": None},
            "do_not_disclose_to": [],
        }
        row = ProtectionIntake(
            id=uuid.uuid4(),
            status="open",
            admitted_at=self.now - timedelta(hours=hours_ago),
            child_photo_refs=[],
            enrolment_flags=[],
            created_by="演示福利院工作人员",
            district_code=self.district,
            version=1,
            **(defaults | values),
        )
        if number is not None:
            row.child_id_number_enc = self.ring.encrypt(number, context=ID_CONTEXT)
            row.child_id_number_hash = self.ring.lookup_hash(number)
            row.child_id_number_masked = idnumber.mask(number)
            row.child_gender = idnumber.parse(number).gender
        return row


def _open_intakes(make: _Maker, police: uuid.UUID | None) -> list[ProtectionIntake]:
    now = make.now
    return [
        make.intake(
            3,
            kind="street_begging",
            basis="begging_or_unidentified",
            found_at="演示火车站广场",
            child_gender="male",
            child_estimated_birth_year=now.year - 9,
            child_description="约九岁男孩，不能说出姓名和住址",
            health_check={"findings": "轻度营养不良", "belongings": "旧书包一个"},
        ),
        make.intake(
            50,
            kind="trafficking_rescued",
            basis="begging_or_unidentified",
            found_at="演示长途汽车站",
            child_gender="female",
            child_estimated_birth_year=now.year - 6,
            child_description="约六岁女孩，公安解救",
            announced_by_client_id=police,
            health_check={"findings": "体检正常"},
        ),
        make.intake(
            24 * 20,
            kind="temporary_guardianship",
            basis="guardian_unable",
            child_name="演示儿童甲",
            id_number=make.id_number(date(2014, 4, 2), "male"),
            brought_by={"kind": "agency", "name": "演示镇民政科", "contact": None},
            care_plan="安置于亲属家中，每周电话回访",
            care_plan_at=now - timedelta(days=19),
            last_reviewed_on=day_of(now) - timedelta(days=5),
        ),
        make.intake(
            24 * 5,
            kind="domestic_violence_shelter",
            basis="harm_by_guardian",
            child_name="演示儿童乙",
            id_number=make.id_number(date(2012, 9, 18), "female"),
            brought_by={"kind": "agency", "name": "演示妇联", "contact": None},
            notes="母亲陈述父亲长期酗酒施暴；已申请人身安全保护令",
            do_not_disclose_to=["演示父亲"],
            care_plan="心理疏导；暂停探视",
            care_plan_at=now - timedelta(days=4),
        ),
    ]


def _closed_intakes(make: _Maker, village: str | None) -> list[ProtectionIntake]:
    """One intake of each outcome, discharged three days ago (the one returned to a family
    35 days ago: its first follow-up visit is due and made)."""
    today = day_of(make.now)
    flagged = today.isoformat()
    closed: list[tuple[ProtectionIntake, dict[str, Any]]] = [
        (
            make.intake(
                24 * 60,
                kind="street_begging",
                basis="guardian_neglect",
                child_name="演示儿童丙",
                id_number=make.id_number(date(2015, 1, 11), "male"),
            ),
            {"outcome": "returned_to_family", "family_village_code": village,
             "family_address": "演示村12号"},
        ),
        (
            make.intake(24 * 45, kind="trafficking_rescued", basis="begging_or_unidentified",
                        child_name="演示儿童丁"),
            {"outcome": "transferred",
             "transferred_to": {"to_whom": "外省未成年人救助保护中心", "place": "外省"}},
        ),
        (
            make.intake(24 * 40, kind="temporary_guardianship",
                        basis="guardian_whereabouts_unknown", child_name="演示儿童戊"),
            {"outcome": "family_foster_care", "discharge_note": "安排家庭寄养"},
        ),
        (
            make.intake(24 * 90, kind="temporary_guardianship", basis="begging_or_unidentified",
                        child_description="无证件，户籍登记办理中"),
            {"outcome": "long_term_guardianship", "long_term_basis": "parents_not_found",
             "enrolment": "pending",
             "enrolment_flags": [
                 {"field": "child.name", "rule": "missing_for_ledger",
                  "reason_zh": "台账须填写儿童姓名", "reason_en": "The ledger needs the name",
                  "flagged_on": flagged},
                 {"field": "child.id_number", "rule": "missing_for_ledger",
                  "reason_zh": "台账须填写有效的身份证号码（户籍登记后补录）",
                  "reason_en": "The ledger needs a valid ID number (record it once registered)",
                  "flagged_on": flagged},
             ]},
        ),
        (
            make.intake(24 * 30, kind="temporary_guardianship", basis="guardian_unable",
                        child_name="演示儿童己",
                        id_number=make.id_number(date(2008, 3, 1), "female")),
            {"outcome": "adulthood"},
        ),
    ]  # fmt: skip
    for row, discharge in closed:
        values = dict(discharge)
        if values["outcome"] == "returned_to_family" and village is None:
            values.pop("family_village_code")
        row.status = "closed"
        row.discharged_on = today - timedelta(days=35 if row.child_name == "演示儿童丙" else 3)
        for key, value in values.items():
            setattr(row, key, value)
    return [row for row, _ in closed]


def _stay_records(row: ProtectionIntake, today: date) -> list[Base]:
    """The stay of a demo intake: the centre (then the relatives of an open temporary
    guardianship), a police identity check, and for a return to a family its assessment and
    follow-up visits."""
    start = day_of(row.admitted_at)
    placed = row.kind == "temporary_guardianship" and row.status == "open"
    recorded = {"recorded_at": row.admitted_at, "recorded_by": row.created_by}
    end = row.discharged_on or (start + timedelta(days=2) if placed else None)
    rows: list[Base] = [
        ProtectionPlacement(
            id=uuid.uuid4(), intake_id=row.id, setting="centre", start_on=start, end_on=end,
            **recorded,
        )
    ]  # fmt: skip
    if placed:
        rows.append(
            ProtectionPlacement(
                id=uuid.uuid4(), intake_id=row.id, setting="relatives",
                start_on=start + timedelta(days=2), with_whom="演示姑母", **recorded,
            )
        )  # fmt: skip
    if row.child_id_number_hash is not None or row.status == "closed":
        rows.append(
            ProtectionTracing(
                id=uuid.uuid4(), intake_id=row.id, method="police_identity_check",
                traced_on=start, result="已比对身份信息",
                recorded_at=row.admitted_at + timedelta(hours=6), recorded_by=row.created_by,
            )
        )  # fmt: skip
    if row.outcome == "returned_to_family":
        rows += _returned(row, today, recorded)
    return rows


def _returned(row: ProtectionIntake, today: date, recorded: dict[str, Any]) -> list[Base]:
    assert row.discharged_on is not None
    rows: list[Base] = [
        ProtectionFamilyAssessment(
            id=uuid.uuid4(), intake_id=row.id, assessed_on=row.discharged_on - timedelta(days=3),
            conclusion="safe_to_return", notes="监护人已接受家庭教育指导", **recorded,
        )
    ]  # fmt: skip
    if row.family_village_code is None:
        return rows
    for seq, due in enumerate(follow_up_dates(row.discharged_on), start=1):
        made = seq == 1 and due <= today
        rows.append(
            ProtectionFollowUpVisit(
                id=uuid.uuid4(), intake_id=row.id, village_code=row.family_village_code,
                seq=seq, due_on=due, visited_on=due if made else None,
                visited_by="演示儿童主任" if seq == 1 else None,
            )
        )  # fmt: skip
    return rows
