"""How the domains are connected to one another, in one place, called by `create_app`.

A domain that reacts to another's event, a job handler and a dashboard section are registered
here, explicitly, instead of by the side effect of an import or a list of module names.
Idempotent: tests create many apps in one process.
"""

from __future__ import annotations

from app.audit import jobs as audit_jobs
from app.children import jobs as children_jobs
from app.dashboard import jobs as dashboard_jobs
from app.dashboard import sections
from app.dashboard.providers import (
    areas,
    casework,
    charity,
    children,
    discovery,
    incidents,
    institution,
    insurance,
    programmes,
    programmes_aid,
    protection,
    screening,
    standards,
    subsidies,
    training,
    trends,
    visits,
)
from app.documents import jobs as documents_jobs
from app.incidents import hooks as incident_hooks
from app.incidents import jobs as incidents_jobs
from app.incidents.visit_link import open_draft_for_visit
from app.protection import jobs as protection_jobs
from app.protection.incident_link import place_from_incident
from app.screening import jobs as screening_jobs
from app.sync import jobs as sync_jobs
from app.visits import hooks
from app.webhooks import jobs as webhooks_jobs
from app.worker import registry


def wire() -> None:
    # A visit with suspected infringement opens a draft mandatory report (incidents).
    hooks.register(open_draft_for_visit)
    # An incident's protection_centre_placement opens (or links) the centre's intake.
    incident_hooks.register_placement(place_from_incident)
    wire_dashboard()
    wire_jobs()


def wire_dashboard() -> None:
    """The sections of the operations dashboard (display order is each section's `order`)."""
    sections.register(
        areas.areas,
        children.children,
        trends.trends,
        visits.visits,
        visits.follow_ups,
        incidents.incidents,
        institution.institution,
        protection.protection,
        casework.casework,
        discovery.discovery,
        screening.screening,
        casework.screening_referrals,
        subsidies.subsidies,
        insurance.insurance,
        standards.standard_review_section,
        programmes_aid.education_aid,
        programmes_aid.holiday_gifts,
        programmes_aid.community_activities,
        training.training,
        charity.charity,
        programmes.pairings,
        programmes.parent_classes,
    )


def wire_jobs() -> None:
    """The background job handlers and periodic tasks of each domain."""
    for module in (
        children_jobs,
        incidents_jobs,
        webhooks_jobs,
        screening_jobs,
        dashboard_jobs,
        sync_jobs,
        protection_jobs,
        documents_jobs,
        audit_jobs,
    ):
        registry.register_module(module)
