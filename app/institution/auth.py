"""Who may call the institute-care routes (rule we set).

- the institute's staff (`institution_staff`) write care plans, care records, activities,
  volunteers and tutoring sessions, and read everything but the counsellors' confidential notes;
- the district admin writes the same (the bureau runs the institute) and reads everything,
  the confidential notes included (each read audited);
- the district leader and the auditor read (the monthly report, plans and records);
- counsellors (`counsellor`, contracted) record counselling sessions and read them, notes
  included — nothing else of the institute;
- village directors, town supervisors, protection staff, case workers and agencies: 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, require_roles
from app.auth.roles import DISTRICT_AND_INSTITUTE, Role

InstituteReader = Annotated[Principal, Depends(require_roles(*DISTRICT_AND_INSTITUTE))]
"""Plans, records, activities, volunteers, tutoring and the monthly report: read."""

InstituteWriter = Annotated[
    Principal, Depends(require_roles(Role.DISTRICT_ADMIN, Role.INSTITUTION_STAFF))
]
"""Plans, records, activities, volunteers and tutoring sessions: write."""

CounsellingWriter = Annotated[
    Principal, Depends(require_roles(Role.COUNSELLOR, Role.DISTRICT_ADMIN))
]
"""Who records a counselling session (a counsellor their own; the admin from a paper form)."""

CounsellingReader = Annotated[
    Principal, Depends(require_roles(*DISTRICT_AND_INSTITUTE, Role.COUNSELLOR))
]
"""Who reads counselling sessions (the confidential notes: `NOTES_READERS` only)."""

NOTES_READERS = frozenset({Role.COUNSELLOR, Role.DISTRICT_ADMIN})
"""Who reads a session's confidential notes (each read audited)."""
