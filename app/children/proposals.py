"""变更申请: village directors and town supervisors propose changes to a child of their area;
a district admin approves (the change is applied with history, like any other) or rejects it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import repository as repo
from app.children import service
from app.children.auth import PROPOSERS
from app.children.schemas import ChildPatch, ProposalCreate
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.models import ChildProposal
from app.models.children import ON_LEDGER


async def propose(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, body: ProposalCreate
) -> ChildProposal:
    """Record a proposal after checking it would be a valid change today."""
    principal = ctx.actor
    if not principal.has_role(*PROPOSERS):
        raise Forbidden("仅儿童主任和儿童督导员可提交变更申请", "Only directors and supervisors")
    child = await service.get_child(session, principal, child_id)
    if child.status not in ON_LEDGER:
        raise Conflict("已撤销的记录不能申请变更", "A revoked record cannot be changed")
    changes = body.changes.model_dump(mode="json", exclude_unset=True)
    changes.pop("reason", None)
    if "id_number" in changes:
        raise ValidationFailed(
            errors=[
                ("changes.id_number", "身份证号码更正须由区民政局办理", "ID corrections: bureau")
            ]
        )
    if not changes:
        raise ValidationFailed(errors=[("changes", "没有要变更的内容", "No changes proposed")])
    await service.plan_patch(session, ctx, child, body.changes)
    proposal = ChildProposal(
        id=uuid.uuid4(),
        child_id=child.id,
        proposed_by=principal.id,
        proposed_by_name=principal.name,
        base_version=child.version,
        changes=changes,
        reason=body.reason,
        status="pending",
    )
    session.add(proposal)
    await session.flush()
    detail = {"child_id": str(child.id)}
    audit.record(session, ctx, "child.propose", "child_proposal", proposal.id, detail)
    return proposal


async def _pending(session: AsyncSession, principal: Principal, pid: uuid.UUID) -> ChildProposal:
    proposal = await repo.get_proposal(session, pid)
    if proposal is None or not await repo.is_visible(session, principal, proposal.child_id):
        raise NotFound("变更申请不存在", "No such proposal")
    if proposal.status != "pending":
        raise Conflict(
            f"该申请已处理（{proposal.status}）", f"The proposal is already {proposal.status}"
        )
    return proposal


async def approve(session: AsyncSession, ctx: RequestContext, pid: uuid.UUID) -> ChildProposal:
    """Approve: the change is applied as a normal change, with history naming the proposal."""
    proposal = await _pending(session, ctx.actor, pid)
    child = await service.get_child(session, ctx.actor, proposal.child_id, for_update=True)
    patch = ChildPatch.model_validate(proposal.changes)
    why = f"变更申请 {proposal.id}（{proposal.proposed_by_name}）：{proposal.reason}"
    await service.apply_patch(session, ctx, child, patch, reason=why)
    _decide(proposal, ctx, "approved", None)
    await session.flush()
    audit.record(session, ctx, "child.proposal.approve", "child_proposal", proposal.id)
    return proposal


async def reject(
    session: AsyncSession, ctx: RequestContext, pid: uuid.UUID, reason: str | None
) -> ChildProposal:
    if not (reason and reason.strip()):
        raise ValidationFailed(errors=[("reason", "驳回须说明理由", "A rejection needs a reason")])
    proposal = await _pending(session, ctx.actor, pid)
    _decide(proposal, ctx, "rejected", reason)
    await session.flush()
    audit.record(session, ctx, "child.proposal.reject", "child_proposal", proposal.id)
    return proposal


def _decide(p: ChildProposal, ctx: RequestContext, status: str, reason: str | None) -> None:
    p.status = status
    p.decided_by = ctx.actor.id
    p.decided_by_name = ctx.actor.name
    p.decided_at = ctx.now
    p.decision_reason = reason
