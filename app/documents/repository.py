"""All SQL of the document store: the rows, the records they belong to, the retention."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import CLOSED_REFERRAL_STATUSES
from app.auth.principal import Principal
from app.kit.rows import one_where
from app.models import Case, Child, Document, Incident, ProtectionIntake, Referral


async def get(
    session: AsyncSession, document_id: uuid.UUID, *, lock: bool = False
) -> Document | None:
    return await one_where(session, Document, Document.id == document_id, lock=lock)


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert the row unless its id exists (a concurrent retry): True when inserted."""
    stmt = pg_insert(Document).values(**values).on_conflict_do_nothing(index_elements=["id"])
    result = await session.execute(stmt.returning(Document.id))
    return result.first() is not None


async def stored_evidence(session: AsyncSession, ids: set[str]) -> set[str]:
    """Which of these ids are stored documents of kind `evidence` (a parent's fact names one)."""
    valid = []
    for raw in ids:
        try:
            valid.append(uuid.UUID(raw))
        except ValueError:
            continue
    stmt = select(Document.id).where(
        Document.id.in_(valid), Document.kind == "evidence", Document.status == "stored"
    )
    return {str(i) for i in (await session.scalars(stmt)).all()}


async def referred_incident(
    session: AsyncSession, principal: Principal, incident_id: uuid.UUID
) -> Incident | None:
    """The incident, if the agency has an open referral of it (the agency's mandate)."""
    stmt = (
        select(Incident)
        .join(Referral, Referral.incident_id == Incident.id)
        .where(
            Incident.id == incident_id,
            Incident.status != "closed",
            Referral.agency == principal.agency,
            Referral.status.not_in(CLOSED_REFERRAL_STATUSES),
        )
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def of_record(
    session: AsyncSession, record_type: str, record_id: uuid.UUID, kinds: Sequence[str] | None
) -> list[Document]:
    stmt = select(Document).where(
        Document.record_type == record_type,
        Document.record_id == record_id,
        Document.status == "stored",
    )
    if kinds is not None:
        stmt = stmt.where(Document.kind.in_(kinds))
    return list((await session.scalars(stmt.order_by(Document.completed_at, Document.id))).all())


async def of_children(
    session: AsyncSession, child_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Document]]:
    """The stored documents of each child and of its visits (what the phone's sync lists)."""
    if not child_ids:
        return {}
    stmt = (
        select(Document)
        .where(
            Document.child_id.in_(child_ids),
            Document.record_type.in_(("child", "visit")),
            Document.status == "stored",
        )
        .order_by(Document.completed_at, Document.id)
    )
    out: dict[uuid.UUID, list[Document]] = defaultdict(list)
    for doc in (await session.scalars(stmt)).all():
        assert doc.child_id is not None
        out[doc.child_id].append(doc)
    return out


def _ended_before(cutoff: date) -> object:
    """Documents whose record ended before `cutoff`: the child left the ledger (revoked), the
    case closed, the intake's child was discharged."""
    child_gone = (
        select(Child.id)
        .where(Child.id == Document.child_id, Child.status == "revoked", Child.revoked_on < cutoff)
        .exists()
    )
    case_closed = (
        select(Case.id)
        .where(Case.id == Document.record_id, Case.status == "closed", Case.closed_on < cutoff)
        .exists()
    )
    intake_closed = (
        select(ProtectionIntake.id)
        .where(
            ProtectionIntake.id == Document.record_id,
            ProtectionIntake.status == "closed",
            ProtectionIntake.discharged_on < cutoff,
        )
        .exists()
    )
    return or_(
        and_(Document.record_type.in_(("child", "visit", "incident")), child_gone),
        and_(Document.record_type == "case", case_closed),
        and_(Document.record_type == "intake", intake_closed),
    )


async def due_for_purge(session: AsyncSession, cutoff: date, limit: int) -> list[Document]:
    stmt = (
        select(Document)
        .where(_ended_before(cutoff))  # type: ignore[arg-type]
        .order_by(Document.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.scalars(stmt)).all())


async def remove(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(Document).where(Document.id.in_(ids)))
