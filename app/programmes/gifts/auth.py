"""Who may call the holiday-gift routes.

(rule we set) District admins record the gifts of a holiday run (they run the runs); the field
workers (district admins, the institute's staff, town supervisors, village directors) confirm a
delivery to a child of their own jurisdiction — the village director from the phone; everyone
with an area reads the gifts of the children of their area (the district's readers all).
The second wave's roles and the partner agencies get nothing here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import DistrictAdmin, Principal, require_roles
from app.auth.roles import AREA_ROLES, FIELD_WORKERS

GiftWriter = DistrictAdmin
GiftDeliverer = Annotated[Principal, Depends(require_roles(*FIELD_WORKERS))]
GiftReader = Annotated[Principal, Depends(require_roles(*AREA_ROLES))]
