"""Who may do what in case work 精准帮扶: the domain's typed dependencies.

| role | agencies, contract figures | cases | assessment, plan, services, reviews | closure |
|---|---|---|---|---|
| district admin | create, read | open, read | read | close |
| district leader, auditor | read | read | read | — |
| case worker | own agency's figures | own agency's cases | write (own agency's cases) | close |
| everyone else | 403 | 403 | 403 | 403 |
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT, Role

AgencyAdmin = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
"""Who contracts an agency (and opens a case)."""

AgencyLister = Annotated[Principal, Depends(require_roles(*DISTRICT))]
"""Who lists every contracted agency."""

CaseReader = Annotated[Principal, Depends(require_roles(*DISTRICT, Role.CASE_WORKER))]
"""Who reads cases and contract figures (a case worker: their own agency's only)."""

CaseOpener = AgencyAdmin

CaseWorker = Annotated[Principal, Depends(require_roles(Role.CASE_WORKER))]
"""Who does the case work: assessment, plan, service records, reviews."""

CaseCloser = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.CASE_WORKER))]
"""Who closes a case: its case worker, or the district."""
