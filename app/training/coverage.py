"""培训覆盖: who of the workers was trained in a year, by town and role, and the certificates.

A worker is trained in a year when present at one session held that year at least (rule we
set); hours are the hours of those sessions. "Never trained on mandatory reporting": never
present at a session whose topics include `mandatory_reporting`, in any year up to the end of
the one asked (domain §6: a director never trained is the likeliest to miss a report).
Workers are the active staff of the roles in `app.training.auth.TRAINEES`; each belongs to
their town (a director by their village), or to the district itself (institute, centre,
contracted professionals). District roles see the district; a supervisor their own town.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.glossary import zh_map
from app.kit.spreadsheet import Column, OfficeSheet, book_bytes, office_book, title_line
from app.kit.stats import ratio
from app.training import repository as repo
from app.training.auth import TRAINEES
from app.training.schemas import CoverageOut, RoleCoverage, TownCoverage

ROLE_ZH = zh_map("staff_role")


@dataclass
class _Bucket:
    workers: int = 0
    trained: int = 0
    untrained: list[uuid.UUID] = field(default_factory=list)
    hours: Decimal = Decimal(0)
    never_mr: list[uuid.UUID] = field(default_factory=list)

    def add(self, uid: uuid.UUID, attended: tuple[int, Decimal] | None, mr: bool) -> None:
        self.workers += 1
        if attended is None:
            self.untrained.append(uid)
        else:
            self.trained += 1
            self.hours += attended[1]
        if not mr:
            self.never_mr.append(uid)


def town_of(path: str) -> str:
    """The town of an area path ("110115/110115001/110115001001/" → "110115001", also below a
    city: "110100/110115/110115001/…"); the district's own code for an area at the district
    level. Towns are the 9-digit codes of the administrative divisions (镇街)."""
    parts = [p for p in path.split("/") if p]
    towns = [p for p in parts if len(p) == 9]
    return towns[0] if towns else parts[-1]


@dataclass
class Computed:
    year: int
    area_code: str
    workers: list[Any]
    present: dict[uuid.UUID, tuple[int, Decimal]]
    mandatory: set[uuid.UUID]
    towns: list[tuple[str, str]]
    town_sessions: dict[str, int]


async def compute(session: AsyncSession, area_code: str, path: str, year: int) -> Computed:
    """The workers within the area at `path` and what they attended."""
    people = list(await repo.workers(session, path, [str(r) for r in TRAINEES]))
    ids = [p.id for p in people]
    return Computed(
        year=year,
        area_code=area_code,
        workers=people,
        present=await repo.present_in_year(session, ids, year),
        mandatory=await repo.ever_on_mandatory_reporting(session, ids, year),
        towns=await repo.towns_within(session, path),
        town_sessions=await repo.town_sessions(session, year),
    )


async def coverage(session: AsyncSession, ctx: RequestContext, year: int) -> CoverageOut:
    """The year's coverage in the caller's area, per town and role."""
    principal = ctx.actor
    return await coverage_of(session, principal.area_code or "", principal.area_path or "", year)


async def coverage_of(session: AsyncSession, area_code: str, path: str, year: int) -> CoverageOut:
    """The year's coverage within an area (its materialised path), per town and role."""
    c = await compute(session, area_code, path, year)
    by_town: dict[str, dict[str, _Bucket]] = {}
    for p in c.workers:
        bucket = by_town.setdefault(town_of(p.path), {}).setdefault(p.role, _Bucket())
        bucket.add(p.id, c.present.get(p.id), p.id in c.mandatory)
    names = dict(c.towns)
    district_level = [code for code in by_town if code not in names]
    names |= await areas.names(session, district_level)
    order = [code for code, _ in c.towns] + sorted(district_level)
    towns = [
        _town(code, names[code], by_town.get(code, {}), c, code in district_level) for code in order
    ]
    workers = sum(t.workers for t in towns)
    trained = sum(t.trained for t in towns)
    return CoverageOut(
        year=year,
        area_code=c.area_code,
        workers=workers,
        trained=trained,
        untrained_count=workers - trained,
        hours=sum((t.hours for t in towns), Decimal(0)),
        coverage=ratio(trained, workers),
        never_trained_on_mandatory_reporting_count=sum(
            len(t.never_trained_on_mandatory_reporting) for t in towns
        ),
        towns_without_town_session=[code for code, _ in c.towns if not c.town_sessions.get(code)],
        towns=towns,
    )


def _town(
    code: str, name: str, roles: dict[str, _Bucket], c: Computed, district: bool
) -> TownCoverage:
    role_out = [
        RoleCoverage(
            role=role,
            workers=b.workers,
            trained=b.trained,
            untrained=b.untrained,
            hours=b.hours,
            never_trained_on_mandatory_reporting=b.never_mr,
        )
        for role in TRAINEES
        if (b := roles.get(role)) is not None
    ]
    workers = sum(r.workers for r in role_out)
    trained = sum(r.trained for r in role_out)
    return TownCoverage(
        code=code,
        name=name,
        level="district" if district else "town",
        town_sessions=0 if district else c.town_sessions.get(code, 0),
        workers=workers,
        trained=trained,
        untrained=[u for r in role_out for u in r.untrained],
        hours=sum((r.hours for r in role_out), Decimal(0)),
        coverage=ratio(trained, workers),
        never_trained_on_mandatory_reporting=[
            u for r in role_out for u in r.never_trained_on_mandatory_reporting
        ],
        roles=role_out,
    )


CERTIFICATE_COLUMNS = (
    Column("证书编号", "code"),
    Column("姓名"),
    Column("账号", "code"),
    Column("角色", width=16),
    Column("所属镇街"),
    Column("参训次数", "int"),
    Column("学时"),
    Column("含强制报告培训"),
)


async def certificates(session: AsyncSession, ctx: RequestContext, year: int) -> bytes:
    """The year's training certificates 培训合格名单 (.xlsx): one row per worker trained in
    the year, numbered `PX<year>-<n>` in the order of town, role and account."""
    principal = ctx.actor
    c = await compute(session, principal.area_code or "", principal.area_path or "", year)
    names = dict(c.towns) | await areas.names(session, [town_of(p.path) for p in c.workers])
    book = office_book()
    sheet = OfficeSheet(
        book,
        f"{year} 培训合格名单",
        CERTIFICATE_COLUMNS,
        title=title_line(
            f"{year} 年度儿童工作人员培训合格名单",
            district=await areas.district_name(session, principal.district_code),
            period=f"{year} 年度",
            generated_at=ctx.now,
        ),
    )
    n = 0
    for p in c.workers:
        attended = c.present.get(p.id)
        if attended is None:
            continue
        n += 1
        town = town_of(p.path)
        sheet.row(
            [
                f"PX{year}-{n:05d}",
                p.full_name,
                p.username,
                ROLE_ZH.get(p.role, p.role),
                names.get(town, town),
                attended[0],
                float(attended[1]),
                "是" if p.id in c.mandatory else "否",
            ]
        )
    sheet.row(["合计", f"{n} 人"], kinds=("text", "text"), bold=True)
    audit.record(
        session,
        ctx,
        "training.certificates",
        "training_certificates",
        None,
        {"year": year, "rows": n},
    )
    return book_bytes(book)
