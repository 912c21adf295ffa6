"""Synthetic demo data shaped like Daxing: 1 district, 20 towns, 709 villages, 729 workers.

Every name is plainly fake (演示镇…, 演示村…) and every ID number made up. Later domains add
their own demo data through DEMO_LOADERS (modules with `async def load(session, settings)`).
"""

from __future__ import annotations

import importlib
import uuid

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.passwords import hash_password
from app.auth.roles import Role
from app.config import Settings
from app.kit.secrets import hash_client_secret
from app.models import AgencyClient, Area, User

DEMO_PASSWORD = "Demo-Pass-2026"  # noqa: S105 - demo accounts only, printed on start
TOWNS = 20
VILLAGES = 709
DEMO_LOADERS: list[str] = [
    "app.ledger.demo",
    "app.visits.demo",
    "app.incidents.demo",
    "app.institution.demo",
    "app.protection.demo",
    "app.subsidies.demo",
    "app.insurance.demo",  # after the ledger's children
    "app.programmes.aid.demo",
    "app.programmes.gifts.demo",
    "app.programmes.activities.demo",
    "app.screening.demo",
    "app.training.demo",
    "app.charity.demo",
    "app.programmes.mothers.demo",
    "app.programmes.classes.demo",
    "app.casework.demo",  # after the ledger's children and the screening records
    "app.documents.demo",  # after the visits, the ledger's children and the intakes
]  # children first

_TOWN_NAMES = [
    "青禾", "兰溪", "松岭", "柳湾", "杏林", "枫桥", "梅坞", "竹园", "桃源", "荷塘",
    "石泉", "云台", "明月", "清河", "星港", "金穗", "长乐", "安和", "永宁", "福田",
]  # fmt: skip


def villages_per_town() -> list[int]:
    base, extra = divmod(VILLAGES, TOWNS)
    return [base + (1 if t < extra else 0) for t in range(TOWNS)]


def town_code(district: str, t: int) -> str:
    return f"{district}{t:03d}"


def village_code(district: str, t: int, v: int) -> str:
    return f"{district}{t:03d}{v:03d}"


async def load(session: AsyncSession, settings: Settings) -> None:
    district = settings.district_code
    exists = (await session.execute(select(Area.code).where(Area.code == district))).first()
    if exists is None:
        await _load_foundation(session, district)
    for module in DEMO_LOADERS:
        await importlib.import_module(module).load(session, settings)


_FULL_SCOPES = ["referrals:read", "referrals:write", "children:read", "screening:read"]
_DEMO_AGENCIES = (
    ("police", "演示公安分局", _FULL_SCOPES),
    ("health", "演示卫健委", _FULL_SCOPES),
    ("education", "演示教委", _FULL_SCOPES),
    ("disabled_federation", "演示残联", _FULL_SCOPES),
    ("women_federation", "演示妇联", ["referrals:read", "referrals:write"]),
)


async def _load_foundation(session: AsyncSession, district: str) -> None:
    await session.execute(insert(Area), _demo_areas(district))
    await session.execute(insert(User), _demo_users(district))
    await session.execute(insert(AgencyClient), _demo_agency_clients(district))


def _area(
    code: str, name: str, level: str, parent_code: str | None, path: str
) -> dict[str, object]:
    return {"code": code, "name": name, "level": level, "parent_code": parent_code, "path": path}


def _demo_areas(district: str) -> list[dict[str, object]]:
    """The district, its towns and their villages (villages_per_town)."""
    root = district + "/"
    areas = [_area(district, "大兴区（演示）", "district", None, root)]
    for t, count in enumerate(villages_per_town(), start=1):
        tcode = town_code(district, t)
        areas.append(
            _area(tcode, f"{_TOWN_NAMES[t - 1]}演示镇", "town", district, f"{root}{tcode}/")
        )
        for v in range(1, count + 1):
            vcode = village_code(district, t, v)
            name = f"{_TOWN_NAMES[t - 1]}演示{v:02d}村"
            areas.append(_area(vcode, name, "village", tcode, f"{root}{tcode}/{vcode}/"))
    return areas


def _demo_users(district: str) -> list[dict[str, object]]:
    """The district's four accounts, a supervisor per town and a director per village, all
    with DEMO_PASSWORD."""
    pw = hash_password(DEMO_PASSWORD)

    def user(username: str, full_name: str, role: str, area: str) -> dict[str, object]:
        return {
            "id": uuid.uuid4(),
            "username": username,
            "password_hash": pw,
            "full_name": full_name,
            "role": role,
            "area_code": area,
            "phone": None,
            "is_active": True,
            "failed_logins": 0,
            "version": 1,
        }

    users = [
        user("admin", "演示管理员", Role.DISTRICT_ADMIN, district),
        user("leader", "演示局领导", Role.DISTRICT_LEADER, district),
        user("auditor", "演示审计员", Role.AUDITOR, district),
        user("institute", "演示福利院工作人员", Role.INSTITUTION_STAFF, district),
    ]
    for t, count in enumerate(villages_per_town(), start=1):
        tcode = town_code(district, t)
        tname = f"{_TOWN_NAMES[t - 1]}演示镇"
        users.append(user(f"sup{t:03d}", f"{tname}督导员（演示）", Role.TOWN_SUPERVISOR, tcode))
        for v in range(1, count + 1):
            vcode = village_code(district, t, v)
            director = f"演示儿童主任{t:02d}-{v:02d}"
            users.append(user(f"dir{t:03d}{v:03d}", director, Role.VILLAGE_DIRECTOR, vcode))
    return users


def _demo_agency_clients(district: str) -> list[dict[str, object]]:
    """A client per partner agency of the district, its secret `demo-<agency>-secret`."""
    return [
        {
            "id": uuid.uuid4(),
            "client_id": f"demo-{agency}",
            "name": name,
            "agency": agency,
            "area_code": district,
            "scopes": scopes,
            "secret_hash": hash_client_secret(f"demo-{agency}-secret"),
            "is_active": True,
            "version": 1,
        }
        for agency, name, scopes in _DEMO_AGENCIES
    ]


def print_logins(base: str) -> None:
    print(
        f"""
  困境儿童关爱服务 — demo data (synthetic)
  API docs:   {base}/docs
  Dashboard:  {base}/dashboard
  Staff logins (password for all: {DEMO_PASSWORD}):
    admin (district_admin), leader (district_leader), auditor, institute (institution_staff),
    sup001 … sup020 (town supervisors), dir001001 … (village directors, dirTTTVVV),
    counsellor (the institute's contracted counsellor)
  Agency clients (client_credentials): demo-police / demo-police-secret,
    demo-health, demo-education, demo-disabled_federation, demo-women_federation
    (secret: demo-<agency>-secret); the charity association: demo-charity (approves) and
    demo-charity-finance (pays), scope charity:write
""",
        flush=True,
    )
