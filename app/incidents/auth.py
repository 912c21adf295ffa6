"""Who may do what with mandatory reports and notifications: the domain's typed dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth.principal import Principal, Staff, require_roles
from app.auth.roles import DECIDERS, Role

IncidentStaff = Staff
"""Every staff member reports, and reads the reports of their circle (town supervisors: summaries)."""

IncidentManager = Annotated[Principal, Depends(require_roles(Role.DISTRICT_ADMIN))]
"""Who moves a report along its status path and refers it to further agencies."""

NotificationReader = Annotated[Principal, Depends(require_roles(*DECIDERS))]
"""Who is notified of escalations (and reads and marks the notifications)."""
