"""Who may do what with the children's ledger records: the domain's typed dependencies and the
role rules its services apply.

(rule we set) District admins write every child and the institute's staff the institute's
children (`ChildWriter`, then `may_write` per record); village directors and town supervisors
propose changes (`PROPOSERS`); the district's offices and the institute read the adult-placement
queue (`PlacementQueueReader`); the district and the town supervisors read the children due a
new look (`ReverificationReader`). District admins decide proposals (`DistrictAdmin`). The
other reads are open to every caller and narrowed by jurisdiction (`access.readable`).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from app.auth.principal import DistrictAdmin, Principal, Staff, require_roles
from app.auth.roles import CASE_WRITERS, DISTRICT_AND_INSTITUTE, DISTRICT_AND_TOWNS, Role
from app.errors import Forbidden

ChildWriter = Annotated[Principal, Depends(require_roles(*CASE_WRITERS))]
"""Who enrols, changes and revokes children (the institute's staff: its own children only)."""

PlacementQueueReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_INSTITUTE))]
"""Who reads the adult-placement queue."""

ReverificationReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
"""Who reads the children whose category needs a new look."""

PROPOSERS: Final = (Role.VILLAGE_DIRECTOR, Role.TOWN_SUPERVISOR)
"""Who proposes a change 变更申请 instead of making it."""

REVEALERS: Final = frozenset(CASE_WRITERS)
"""The staff who see a child's whole ID number."""


def may_write(principal: Principal, placement: str) -> bool:
    """District admins write every child; the institute's staff the institute's children."""
    if principal.has_role(Role.DISTRICT_ADMIN):
        return True
    return principal.has_role(Role.INSTITUTION_STAFF) and placement == "institution"


def require_write(principal: Principal, *placements: str) -> None:
    if not all(may_write(principal, p) for p in placements):
        raise Forbidden(
            "当前角色无权修改该儿童记录（机构工作人员仅管理机构儿童）",
            "Your role may not write this child's record (institution staff: institution only)",
        )


def require_staff(principal: Principal) -> None:
    if principal.kind != "user":
        raise Forbidden("仅限工作人员账户", "Staff accounts only")


__all__ = [
    "PROPOSERS",
    "REVEALERS",
    "ChildWriter",
    "DistrictAdmin",
    "PlacementQueueReader",
    "ReverificationReader",
    "Staff",
    "may_write",
    "require_staff",
    "require_write",
]
