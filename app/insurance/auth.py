"""Who may call the insurance routes (rule we set).

| route | who |
|---|---|
| append a scheme's parameters; create, change an enrolment; generate the worklist; export the insurer's submission file; import its answer file | district admins (区民政局业务科室) |
| read the schemes, the worklist, the enrolments | the district roles (admin, leader, auditor: the whole district) and town supervisors (the dispersed children of their town's villages) |
| premiums against the budget | the district roles |

Everyone else gets 403: village directors (the town supervisor keeps the town's worklist), the
institute's staff (the district enrols the institute's children), the second wave's roles, and
every partner agency. Health (卫健) has no mandate here: its referrals concern screened children
without insurance (app/screening/referrals), not the ledger's enrolments.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT, DISTRICT_AND_TOWNS, Role

InsuranceWriter = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
InsuranceReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
PremiumReader = Annotated[Principal, Depends(require_roles(*DISTRICT))]
