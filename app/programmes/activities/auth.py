"""Who may call the community-activity routes.

(rule we set) The village director records the activities of their village's minors' venue
(from the phone), the town supervisor those of their town's villages, district admins any;
everyone with an area reads those of their area (the district's readers all). The institute's
staff have no village venue (their residents' outings are the institute's own care); the
second wave's roles and the partner agencies get nothing here.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import AREA_ROLES, Role

ACTIVITY_WRITERS: Final = (Role.DISTRICT_ADMIN, Role.TOWN_SUPERVISOR, Role.VILLAGE_DIRECTOR)

ActivityWriter = Annotated[Principal, Depends(require_roles(*ACTIVITY_WRITERS))]
ActivityReader = Annotated[Principal, Depends(require_roles(*AREA_ROLES))]
