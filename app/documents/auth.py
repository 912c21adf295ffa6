"""Who may upload and read documents: the domain's typed dependencies.

Which documents a caller then reaches is decided by the record each belongs to
(app/documents/records.py): a record outside the caller's reach is a 404.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from app.auth.principal import CurrentPrincipal, Principal, require_roles
from app.auth.roles import Role

WRITERS: Final = (
    Role.DISTRICT_ADMIN,
    Role.INSTITUTION_STAFF,
    Role.TOWN_SUPERVISOR,
    Role.VILLAGE_DIRECTOR,
    Role.PROTECTION_STAFF,
    Role.COUNSELLOR,
    Role.CASE_WORKER,
)
"""Staff who keep records upload their documents (not the leader nor the auditor, who read)."""

DocumentWriter = Annotated[Principal, Depends(require_roles(*WRITERS))]
DocumentReader = CurrentPrincipal
"""Staff and partner agencies: the record decides (agencies: evidence of what they reach)."""
