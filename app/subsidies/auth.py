"""Who may call the subsidy engine's routes: the domain's typed role dependencies.

(rule we set) Standards: every staff account reads them (`Staff`), district admins append
(`DistrictAdmin`). Payrolls, grant and holiday runs, budgets and spending: district admins run
them, the district leader approves payrolls, admins or the leader approve grant and holiday runs;
admins, the leader and auditors read them (`DistrictReader`). Medical claims: district admins and
the institute's staff file them (`ClaimFiler`) and read them with the leader and auditors
(`ClaimReader`); admins and the leader decide (`Decider`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import DistrictAdmin, Principal, Staff, require_roles
from app.auth.roles import CASE_WRITERS, DECIDERS, DISTRICT, DISTRICT_AND_INSTITUTE, Role

DistrictReader = Annotated[Principal, Depends(require_roles(*DISTRICT))]
Leader = Annotated[Principal, Depends(require_roles(Role.DISTRICT_LEADER))]
ClaimFiler = Annotated[Principal, Depends(require_roles(*CASE_WRITERS))]
ClaimReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_INSTITUTE))]
Decider = Annotated[Principal, Depends(require_roles(*DECIDERS))]
StandardSetter = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.CITY_ADMIN))]
"""Who appends a standard: the city admin (city-wide) and a district admin (its override)."""

__all__ = [
    "ClaimFiler",
    "ClaimReader",
    "Decider",
    "DistrictAdmin",
    "DistrictReader",
    "Leader",
    "Staff",
    "StandardSetter",
]
