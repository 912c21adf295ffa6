"""All ORM models, in one package: one metadata for Alembic, no import cycles between domains."""

from app.db import Base
from app.models.accounts import AGENCIES, STAFF_ROLES, AgencyClient, RefreshToken, User
from app.models.areas import AREA_LEVELS, Area
from app.models.children import CATEGORIES, PLACEMENTS, SCHOOL_STAGES, Child, ChildChange
from app.models.dashboard import DashboardSectionCache
from app.models.platform import AuditEntry, IdempotencyRecord, Job

__all__ = [
    "AGENCIES",
    "AREA_LEVELS",
    "CATEGORIES",
    "PLACEMENTS",
    "SCHOOL_STAGES",
    "STAFF_ROLES",
    "AgencyClient",
    "Area",
    "AuditEntry",
    "Base",
    "Child",
    "ChildChange",
    "DashboardSectionCache",
    "IdempotencyRecord",
    "Job",
    "RefreshToken",
    "User",
]
