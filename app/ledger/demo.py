"""Demo ledger (synthetic): 205 active children — 131 dispersed across the demo villages, 74 in
the institute — with 18 months of history (the opening register, additions, changes,
revocations), and a 低保/低收入 household list that yields a handful of discovery candidates.

Every name is fake and every ID number made up (idnumber.make). Bulk inserts; a second run
does nothing.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.roles import Role
from app.children.fields import STATE_FIELDS
from app.children.projection import ID_CONTEXT
from app.children.rules import (
    DISABILITY_KINDS,
    TERM_SITUATIONS,
    YEARLY_REVIEW,
    add_months,
    age_on,
    reverify_on,
)
from app.config import Settings
from app.discovery.service import import_households
from app.kit import idnumber
from app.kit.clock import SystemClock, local_today
from app.kit.context import RequestContext
from app.kit.crypto import KeyRing
from app.kit.demo_loader import already_loaded
from app.models import Area, Child, ChildChange

DISPERSED = {"orphan": 20, "de_facto_unsupported": 60, "poor_family_seriously_ill": 21,
             "poor_family_disabled": 30}  # fmt: skip
INSTITUTION = {"orphan": 50, "de_facto_unsupported": 18, "poor_family_disabled": 6}
REVOKED = 14
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "子涵欣怡梓萱思远浩然一诺雨桐宇轩若汐明哲佳琪俊熙嘉怡沐辰语桐"


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _ring(settings: Settings) -> KeyRing:
    return KeyRing.from_settings(
        settings.encryption_keys.get_secret_value(),
        settings.encryption_active_key_id,
        settings.hmac_key.get_secret_value(),
    )


# Each situation's evidence 证明材料 (kind, issuer) in the demo.
_EVIDENCE = {
    "deceased": ("death_certificate", "演示医院"),
    "declared_dead": ("court_judgment", "北京市大兴区人民法院"),
    "declared_missing": ("court_judgment", "北京市大兴区人民法院"),
    "imprisoned": ("court_judgment", "北京市大兴区人民法院"),
    "compulsory_drug_rehab": ("detention_decision", "北京市公安局大兴分局"),
    "severe_disability": ("disability_certificate", "北京市大兴区残疾人联合会"),
    "serious_illness": ("hospital_diagnosis", "演示医院"),
    "lost_contact": ("police_report_receipt", "北京市公安局大兴分局演示派出所"),
    "guardianship_revoked": ("court_judgment", "北京市大兴区人民法院"),
}


def _parents(category: str, rng: random.Random, today: date) -> list[dict[str, Any]]:
    """Both parents' facts as 民发〔2019〕62号 counts them, each with its evidence: a term of 6
    months or more still running, a grade-1/2 (or grade-3/4 mental) certificate, an illness on
    the district's list, lost contact reported more than 6 months ago."""
    if category == "orphan":
        pair = ("deceased", rng.choice(("deceased", "declared_dead", "declared_missing")))
    elif category == "de_facto_unsupported":
        pair = (
            rng.choice(("imprisoned", "severe_disability", "deceased", "compulsory_drug_rehab")),
            rng.choice(("imprisoned", "serious_illness", "lost_contact", "guardianship_revoked")),
        )
    else:
        return []
    out = []
    for n, (rel, situation) in enumerate(zip(("father", "mother"), pair, strict=True)):
        since = today - timedelta(days=rng.randint(400, 3000))
        fact: dict[str, Any] = {"relation": rel, "situation": situation}
        if situation in TERM_SITUATIONS:
            served = (today.year - since.year) * 12 + today.month - since.month
            fact["term_months"] = served + rng.randint(6, 60)
        elif situation == "severe_disability":
            kind = rng.choice(DISABILITY_KINDS)
            grade = rng.randint(1, 4) if kind in ("intellectual", "mental") else rng.randint(1, 2)
            fact |= {"disability_grade": grade, "disability_kind": kind}
        elif situation == "serious_illness":
            fact["illness"] = rng.choice(("尿毒症", "急性髓系白血病", "肝硬化失代偿期"))
        issued = (
            since + timedelta(days=rng.randint(0, 30)) if situation != "lost_contact" else since
        )
        if situation in YEARLY_REVIEW:  # reviewed in the last year
            since_review = today - timedelta(days=rng.randint(30, 330))
            issued = max(issued, since_review) if situation != "lost_contact" else issued
            fact["verified_on"] = since_review.isoformat()
        kind_, issuer = _EVIDENCE[situation]
        fact["since"] = since.isoformat()
        fact["evidence"] = {
            "kind": kind_,
            "number": f"演示-{since.year}-{rng.randint(1000, 9999)}-{n}",
            "issuer": issuer,
            "issued_on": min(issued, today).isoformat(),
            "note": None,
        }
        out.append(fact)
    return out


async def load(session: AsyncSession, settings: Settings) -> None:
    if await already_loaded(session, Child):
        return
    villages = list(
        (
            await session.execute(
                select(Area.code).where(Area.level == "village").order_by(Area.code)
            )
        )
        .scalars()
        .all()
    )
    if not villages:
        return
    rng = random.Random(20261129)
    ring = _ring(settings)
    now = SystemClock().now()
    today = local_today(SystemClock())
    start = add_months(today.replace(day=1), -18)
    used: set[str] = set()
    children: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    plan = [(c, "dispersed") for c, n in DISPERSED.items() for _ in range(n)]
    plan += [(c, "institution") for c, n in INSTITUTION.items() for _ in range(n)]
    plan += [(rng.choice(list(DISPERSED)), "dispersed") for _ in range(REVOKED)]
    for i, (category, placement) in enumerate(plan):
        revoked = i >= len(plan) - REVOKED
        birth, idn = _new_id_number(rng, today, used)
        child = _child_row(i, category, placement, birth, idn, rng, ring, villages, today)
        child["review_flags"] = []
        child["reverify_on"] = reverify_on(child, [])
        children.append(child)
        _history(changes, child, revoked, start, today, rng)
    await session.execute(insert(Child), children)
    await session.execute(insert(ChildChange), changes)
    await _discovery(session, settings, ring, villages, rng, now)


def _new_id_number(rng: random.Random, today: date, used: set[str]) -> tuple[date, str]:
    """A birth date and an ID number of it not drawn before."""
    while True:
        birth = today - timedelta(days=rng.randint(400, 17 * 365))
        idn = idnumber.make(birth, rng.choice(("male", "female")), rng=rng)
        if idn not in used:
            used.add(idn)
            return birth, idn


def _child_row(
    i: int,
    category: str,
    placement: str,
    birth: date,
    idn: str,
    rng: random.Random,
    ring: KeyRing,
    villages: list[str],
    today: date,
) -> dict[str, Any]:
    """One child of the seed, enrolled on a random day of the last five years."""
    parsed = idnumber.parse(idn, today=today)
    approved = max(birth + timedelta(days=200), today - timedelta(days=rng.randint(20, 2000)))
    child: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": _name(rng),
        "id_number_enc": ring.encrypt(idn, context=ID_CONTEXT),
        "id_number_hash": ring.lookup_hash(idn),
        "id_number_masked": parsed.masked,
        "gender": parsed.gender,
        "birth_date": birth,
        "category": category,
        "placement": placement,
        "village_code": rng.choice(villages) if placement == "dispersed" else None,
        "approved_on": approved,
        "status": "active",
        "revoked_on": None,
        "revoke_reason": None,
        "revoke_note": None,
        "parents": _parents(category, rng, today),
        "guardians": [{"name": _name(rng), "relation": "祖父母", "phone": None}]
        if placement == "dispersed"
        else [],
        "household_assistance": rng.choice(("subsistence", "low_income"))
        if category.startswith("poor_family")
        else "none",
        "serious_illness": {"diagnosis": "演示重病"}
        if category == "poor_family_seriously_ill"
        else None,
        "disability": {
            "kind": "physical",
            "grade": rng.randint(1, 4),
            "certificate_no": f"D{i:05d}",
        }
        if category == "poor_family_disabled"
        else None,
        **_schooling(birth, today),
        "school_name": "演示学校",
        "insurance": {
            "basic_medical": True,
            "puhuibao": category != "orphan",
            "supplementary": False,
        },
        "created_by": None,
        "version": 1,
    }
    return child


def _history(
    changes: list[dict[str, Any]],
    child: dict[str, Any],
    revoked: bool,
    start: date,
    today: date,
    rng: random.Random,
) -> None:
    """The child's ledger history: created, perhaps a change of school, perhaps revoked."""
    approved = child["approved_on"]
    opened = max(start, approved.replace(day=1))
    at = datetime(opened.year, opened.month, min(approved.day, 28), 2, tzinfo=UTC)
    _entry(changes, child, "created", opened, at,
           "建账导入" if opened == start and approved < start else None, approved)  # fmt: skip
    months = (today.year - opened.year) * 12 + today.month - opened.month
    last = opened
    if months >= 2 and rng.random() < 0.35:
        m = last = add_months(opened, rng.randint(1, months - 1))
        old = child["school_name"]
        child["school_name"] = "演示中学"
        child["version"] += 1
        _entry(changes, child, "changed", m, datetime(m.year, m.month, 12, 2, tzinfo=UTC),
               "升学", m.replace(day=12),
               [{"field": "school_name", "from": old, "to": "演示中学"}])  # fmt: skip
    if revoked and months >= 1:
        left = (today.year - last.year) * 12 + today.month - last.month
        m = add_months(last, rng.randint(min(1, left), left))
        eff = min(m.replace(day=5), today)
        child.update(status="revoked", revoked_on=eff, version=child["version"] + 1,
                     revoke_reason=rng.choice(("family_recovered", "moved_away", "adopted")))  # fmt: skip
        _entry(changes, child, "revoked", m, datetime(m.year, m.month, 5, 2, tzinfo=UTC),
               child["revoke_reason"], eff,
               [{"field": "status", "from": "active", "to": "revoked"}])  # fmt: skip


def _schooling(birth: date, today: date) -> dict[str, Any]:
    """The stage by age; from 15, senior secondary begun the September after the 15th birthday
    (its enrolment year recorded, so that support after 18 in school can follow it)."""
    age = age_on(birth, today)
    if age < 15:
        stage = "preschool" if age < 7 else "primary" if age < 12 else "junior_secondary"
        return {"school_stage": stage, "school_enrolment_year": None}
    year = min(birth.year + 15 + (1 if birth.month >= 9 else 0), today.year)
    return {"school_stage": "senior_secondary", "school_enrolment_year": year}


def _entry(
    out: list[dict[str, Any]],
    child: dict[str, Any],
    kind: str,
    month: date,
    at: datetime,
    reason: str | None,
    effective_on: date,
    changes: list[dict[str, Any]] | None = None,
) -> None:
    state = {
        f: child[f].isoformat() if isinstance(child[f], date) else child[f] for f in STATE_FIELDS
    }
    if changes is None:
        changes = [
            {"field": f, "from": None, "to": state[f]} for f in ("name", "category", "placement")
        ]
    out.append(
        {
            "id": uuid.uuid4(),
            "child_id": child["id"],
            "at": at,
            "kind": kind,
            "ledger_month": month,
            "actor_id": None,
            "actor_name": "演示数据",
            "changes": changes,
            "reason": reason,
            "effective_on": effective_on,
            "state": state,
            "version": child["version"],
        }
    )


async def _discovery(
    session: AsyncSession,
    settings: Settings,
    ring: KeyRing,
    villages: list[str],
    rng: random.Random,
    now: datetime,
) -> None:
    """A household list of 30 households; five minors in it qualify and are not enrolled."""
    today = local_today(SystemClock())
    lines = ["household_id,assistance_type,village_code,name,id_number,relation,"
             "disability_kind,disability_grade,disability_certificate_no,serious_illness,"
             "situation,situation_since"]  # fmt: skip

    def idn(age: int, gender: idnumber.Gender = "male") -> str:
        birth = today - timedelta(days=age * 365 + rng.randint(10, 300))
        return idnumber.make(birth, gender, rng=rng, division_code="110115")

    for h in range(30):
        hh, v = f"DB{h:04d}", rng.choice(villages)
        kind = "低保" if h % 2 else "低收入"
        head, spouse, kid = idn(40, "male"), idn(38, "female"), idn(rng.randint(3, 16))
        situation = "imprisoned" if h in (3, 4) else ""
        since = "2023-01-01" if situation else ""
        lines.append(f"{hh},{kind},{v},{_name(rng)},{head},户主,,,,,{situation},{since}")
        lines.append(f"{hh},{kind},{v},{_name(rng)},{spouse},配偶,,,,,{situation},{since}")
        dis = ("肢体", "2", f"DC{h}") if h in (7, 11) else ("", "", "")
        ill = "演示重病" if h == 15 else ""
        lines.append(f"{hh},{kind},{v},{_name(rng)},{kid},子女,{dis[0]},{dis[1]},{dis[2]},{ill},,")
    system = Principal(
        kind="user",
        id=uuid.UUID(int=0),
        name="demo",
        role=Role.DISTRICT_ADMIN,
        district_code=settings.district_code,
    )
    ctx = RequestContext(
        principal=system, clock=SystemClock(), settings=settings, keyring=ring, now=now
    )
    await import_households(session, ctx, ("\n".join(lines) + "\n").encode())
