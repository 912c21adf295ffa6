"""Who may call the parents'-class routes (rule we set).

- `Organisers`: district admins (any town, or a district-wide class) and town supervisors (their
  own town's classes) record classes and their head count of other participants.
- `Recorders`: the child's workers record which ledger children's parents or guardians attended
  (district admins, the institute's staff, town supervisors, village directors; which children
  is `app.children.access.readable`).
- `Readers`: the ledger's roles read classes (a class is no one's record; its attendees are shown
  only where the reader may see the child).
- `ReportReaders`: the district roles (every town) and town supervisors (their town).
The second wave's roles and the agencies get 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import AREA_OFFICERS, AREA_ROLES, DISTRICT_AND_TOWNS, FIELD_WORKERS

Organisers = Annotated[Principal, Depends(require_roles(*AREA_OFFICERS))]
Recorders = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
Readers = Annotated[Principal, Depends(require_roles(*AREA_ROLES))]
ReportReaders = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
