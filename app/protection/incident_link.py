"""An incident's `protection_centre_placement` intervention 安置至未成年人救助保护中心 opens the
centre's intake for the child (or links the open intake it names), in the incident's
transaction. Registered on the incidents' hook by `app.wiring`.

The new intake carries what the report knows — the ledger child's name and ID number, or the
facts of a minor not on the ledger — and a kind and art. 92 basis read from the report's tags
(the centre's staff correct them with PATCH). A child already in the centre (an open intake of
the same ID number) is linked, not taken in twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children.projection import id_number as ledger_id_number
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.clock import DISTRICT_TZ
from app.kit.context import RequestContext
from app.kit.reveal import reveal
from app.models import Child, Incident
from app.protection import repository as repo
from app.protection import service
from app.protection.schemas import BroughtBy, ChildKnown, IntakeCreate


def kind_and_basis(incident: Incident) -> tuple[str, str]:
    """The intake's kind and art. 92 basis read from the report (rule we set)."""
    tags = set(incident.kinds) | set(incident.situations)
    if tags & {"trafficking", "unknown_origin_missing_or_trafficked"}:
        return "trafficking_rescued", "begging_or_unidentified"
    if tags & {"begging", "organised_begging"}:
        return "street_begging", "begging_or_unidentified"
    if "domestic_violence" in tags:
        return "domestic_violence_shelter", "harm_by_guardian"
    if tags & {"abandonment", "neglect", "abandonment_or_no_care"}:
        return "temporary_guardianship", "guardian_neglect"
    return "temporary_guardianship", "other"


async def _facts(session: AsyncSession, ctx: RequestContext, incident: Incident) -> dict[str, Any]:
    if incident.child_id is not None:
        child = await session.get(Child, incident.child_id)
        assert child is not None
        return {
            "name": child.name,
            "id_number": ledger_id_number(child, ctx.keyring),
            "gender": child.gender,
        }
    year = None
    if incident.child_birth_date is not None:
        year = incident.child_birth_date.year
    elif incident.child_age is not None:
        year = ctx.today.year - incident.child_age
    number = None
    if incident.child_id_number_enc is not None:
        number = reveal(
            ctx.keyring,
            incident.child_id_number_enc,
            context=b"",
            column="incidents.child_id_number_enc",
            record_id=incident.id,
        )
    facts = {
        "name": incident.child_name,
        "id_number": number,
        "gender": incident.child_gender,
        "estimated_birth_year": year,
    }
    return {k: v for k, v in facts.items() if v is not None}


async def place_from_incident(
    session: AsyncSession,
    ctx: RequestContext,
    incident: Incident,
    intervention: dict[str, Any],
    index: int,
) -> uuid.UUID:
    """The centre's intake of the incident's child: the one named, an open one of the same
    child, or a new one."""
    named = intervention.get("intake_id")
    if named is not None:
        intake = await repo.get_any(session, uuid.UUID(named), lock=True)
        if (
            intake is None
            or intake.status != "open"
            or intake.district_code != service.intake_district(ctx)
        ):
            raise ValidationFailed(
                errors=[
                    (
                        f"interventions[{index}].intake_id",
                        "保护中心没有该未结案的受理记录",
                        "No open intake of the protection centre with this id",
                    )
                ]
            )
        intake.incident_id = incident.id
        await session.flush()
        audit.record(
            session, ctx, "protection_intake.link_incident", "protection_intake", intake.id,
            {"incident_id": str(incident.id)},
        )  # fmt: skip
        return intake.id
    facts = await _facts(session, ctx, incident)
    if "id_number" in facts:
        existing = await repo.open_for_hash(session, ctx.keyring.lookup_hash(facts["id_number"]))
        if existing is not None:
            intervention["intake_id"] = str(existing)
            return await place_from_incident(session, ctx, incident, intervention, index)
    since = datetime.fromisoformat(intervention["since"]).date()
    admitted = ctx.now if since >= ctx.today else datetime.combine(since, time(), DISTRICT_TZ)
    kind, basis = kind_and_basis(incident)
    body = IntakeCreate(
        id=uuid.uuid4(),
        kind=kind,
        basis=basis,
        admitted_at=admitted,
        brought_by=BroughtBy(
            kind="agency",
            name=str(intervention.get("centre_name") or "区民政局"),
            contact=ctx.actor.name,
        ),
        found_at=incident.location,
        child=ChildKnown(**facts),
        incident_id=incident.id,
        notes=intervention.get("detail"),
    )
    intake = await service.create_intake(session, ctx, body)
    return intake.id
