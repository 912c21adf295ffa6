"""All ORM models, in one package: one metadata for Alembic, no import cycles between domains."""

from app.db import Base
from app.models.accounts import AGENCIES, STAFF_ROLES, AgencyClient, RefreshToken, User
from app.models.areas import AREA_LEVELS, Area
from app.models.children import CATEGORIES, PLACEMENTS, SCHOOL_STAGES, Child, ChildChange
from app.models.platform import AuditEntry, IdempotencyRecord, Job
from app.models.screening import (
    AGE_BANDS,
    SCREENING_CLASSIFICATIONS,
    ScreeningImport,
    ScreeningImportError,
    ScreeningRecord,
    ScreeningRecordChange,
    ScreeningStat,
    ScreeningStatsState,
)

__all__ = [
    "AGENCIES",
    "AGE_BANDS",
    "AREA_LEVELS",
    "CATEGORIES",
    "PLACEMENTS",
    "SCHOOL_STAGES",
    "SCREENING_CLASSIFICATIONS",
    "STAFF_ROLES",
    "AgencyClient",
    "Area",
    "AuditEntry",
    "Base",
    "Child",
    "ChildChange",
    "IdempotencyRecord",
    "Job",
    "RefreshToken",
    "ScreeningImport",
    "ScreeningImportError",
    "ScreeningRecord",
    "ScreeningRecordChange",
    "ScreeningStat",
    "ScreeningStatsState",
    "User",
]
