"""All ORM models, in one package: one metadata for Alembic, no import cycles between domains."""

from app.db import Base
from app.models.accounts import AGENCIES, STAFF_ROLES, AgencyClient, RefreshToken, User
from app.models.areas import AREA_LEVELS, Area
from app.models.children import CATEGORIES, PLACEMENTS, SCHOOL_STAGES, Child, ChildChange
from app.models.incidents import (
    INCIDENT_KINDS,
    INCIDENT_OUTCOMES,
    INCIDENT_STATUSES,
    Incident,
    IncidentStep,
    Notification,
    Referral,
    ReferralUpdate,
    WebhookAttempt,
    WebhookDelivery,
)
from app.models.ledger import (
    AdultPlacement,
    ChildProposal,
    DiscoveryCandidate,
    LedgerMonthClose,
    LedgerReview,
)
from app.models.platform import AuditEntry, IdempotencyRecord, Job
from app.models.visits import (
    DIFFICULTY_KINDS,
    FOLLOW_UP_STATUSES,
    VISIT_MODES,
    AreaLocation,
    FollowUp,
    SyncChange,
    Visit,
    VisitFlag,
)

__all__ = [
    "AGENCIES",
    "AREA_LEVELS",
    "CATEGORIES",
    "DIFFICULTY_KINDS",
    "FOLLOW_UP_STATUSES",
    "INCIDENT_KINDS",
    "INCIDENT_OUTCOMES",
    "INCIDENT_STATUSES",
    "PLACEMENTS",
    "SCHOOL_STAGES",
    "STAFF_ROLES",
    "VISIT_MODES",
    "AdultPlacement",
    "AgencyClient",
    "Area",
    "AreaLocation",
    "AuditEntry",
    "Base",
    "Child",
    "ChildChange",
    "ChildProposal",
    "DiscoveryCandidate",
    "FollowUp",
    "IdempotencyRecord",
    "Incident",
    "IncidentStep",
    "Job",
    "LedgerMonthClose",
    "LedgerReview",
    "Notification",
    "Referral",
    "ReferralUpdate",
    "RefreshToken",
    "SyncChange",
    "User",
    "Visit",
    "VisitFlag",
    "WebhookAttempt",
    "WebhookDelivery",
]
