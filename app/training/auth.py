"""Who may call the training routes (rule we set).

| route | who |
|---|---|
| create a session | district admins (district or town sessions), town supervisors (their own town's sessions) |
| list / read sessions, coverage, certificates | the district roles (whole district), town supervisors (district sessions and their own town's) |
| record attendance | district admins; a town's supervisor for that town's sessions |
| check in with a session code, read one's own attendance | the trainees: town supervisors, village directors, institute staff, protection staff, counsellors, case workers |

Everyone else gets 403. Agency clients have no training route.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT_AND_TOWNS, Role

TRAINEES: Final = (
    Role.TOWN_SUPERVISOR,
    Role.VILLAGE_DIRECTOR,
    Role.INSTITUTION_STAFF,
    Role.PROTECTION_STAFF,
    Role.COUNSELLOR,
    Role.CASE_WORKER,
)
"""The workers the district trains every year and whose coverage is counted: everyone who
works with children (the 729 supervisors and directors, the institute's and the centre's staff,
the contracted counsellors and social workers). District admins organise, leaders and auditors
read: they are not counted."""

ORGANISERS: Final = (Role.DISTRICT_ADMIN, Role.TOWN_SUPERVISOR)

Organiser = Annotated[Principal, Depends(require_roles(*ORGANISERS))]
TrainingReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_TOWNS))]
Trainee = Annotated[Principal, Depends(require_roles(*TRAINEES))]
