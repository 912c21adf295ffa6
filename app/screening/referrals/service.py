"""监测摸排转介: the district refers screened children's findings to education, health or the
disabled persons' federation; the agency acknowledges and reports the outcome.

The referral is a row of the incidents' `referrals` table (`screening_record_id` and
`finding` instead of `incident_id`), so it shares their acknowledgement deadline (here
SCREENING_REFERRAL_ACK_DAYS), the escalation job (`incidents.escalate` flags it and notifies
the district), the signed webhook deliveries of the outbox, and the mandate: an agency reads
the screening record of its own open referral, projected to its field.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.mandate import CLOSED_REFERRAL_STATUSES
from app.auth.principal import Principal
from app.errors import Conflict, ValidationFailed
from app.incidents.errors import ReferralNotFound, TransitionRefused
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import Page, paginate
from app.kit.records import known, out_of
from app.models import Referral, ReferralUpdate, ScreeningRecord
from app.screening import projection
from app.screening import repository as screening_repo
from app.screening.referrals import findings
from app.screening.referrals import repository as repo
from app.screening.referrals.schemas import (
    FindingCounts,
    OutcomeIn,
    ScreeningReferralBatch,
    ScreeningReferralCreate,
    ScreeningReferralOut,
    ScreeningReferralQuery,
    ScreeningReferralStats,
    SkippedRecord,
    TownCounts,
)
from app.webhooks import outbox

EVENT_CREATED = "screening_referral.created"
FILTER_MAX = 2000  # records one referral by filter may create (narrow the filter beyond it)
HREF = "/api/v1/screening/referrals/{}"


def _view(
    referral: Referral, record: ScreeningRecord, principal: Principal, ctx: RequestContext
) -> ScreeningReferralOut:
    assert referral.screening_record_id is not None
    assert referral.finding is not None
    return out_of(
        ScreeningReferralOut,
        referral,
        record_id=referral.screening_record_id,
        town_code=record.town_code,
        record=_record(referral, record, principal, ctx),
    )


def _record(
    referral: Referral, record: ScreeningRecord, principal: Principal, ctx: RequestContext
) -> dict[str, Any]:
    """The record as the caller may see it; an agency's mandate over it ends with its referral
    (app.auth.mandate): a finished referral shows the agency only which record it was."""
    if principal.kind == "agency" and referral.status in CLOSED_REFERRAL_STATUSES:
        return {"id": record.id}
    return projection.project(record, principal, today=ctx.today, keyring=ctx.keyring)


def _as_agency(agency: str) -> Principal:
    """The agency as a reader, for the webhook's projection (its mandate's fields)."""
    return Principal(kind="agency", id=uuid.UUID(int=0), name=agency, agency=agency)


async def _views(
    session: AsyncSession, ctx: RequestContext, referrals: list[Referral]
) -> list[ScreeningReferralOut]:
    records = await repo.records_by_id(
        session, {r.screening_record_id for r in referrals if r.screening_record_id}
    )
    return [
        _view(r, records[r.screening_record_id], ctx.actor, ctx)
        for r in referrals
        if r.screening_record_id is not None
    ]


# -- the district refers -------------------------------------------------------------------------


async def _records_by_ids(
    session: AsyncSession, ctx: RequestContext, body: ScreeningReferralCreate
) -> list[ScreeningRecord]:
    assert body.record_ids is not None
    found = await repo.records_by_id(
        session, set(body.record_ids), screening_repo.readable_clause(ctx.actor)
    )
    errors: list[tuple[str, str, str]] = []
    seen: set[uuid.UUID] = set()
    out = []
    for i, rid in enumerate(body.record_ids):
        record = found.get(rid)
        if record is None:
            errors.append((f"record_ids[{i}]", "摸排记录不存在", "No such screening record"))
        elif rid in seen:
            errors.append((f"record_ids[{i}]", "重复的记录", "The record is named twice"))
        elif not findings.shows(record, body.finding, ctx.today):
            errors.append(
                (
                    f"record_ids[{i}]",
                    f"该记录不显示“{findings.FINDING_ZH[body.finding]}”",
                    f"The record does not show {body.finding}",
                )
            )
        else:
            out.append(record)
        seen.add(rid)
    if errors:
        raise ValidationFailed(errors=errors)
    return out


async def _records_by_filter(
    session: AsyncSession, ctx: RequestContext, body: ScreeningReferralCreate
) -> list[ScreeningRecord]:
    f = body.filter
    assert f is not None
    if body.finding == "uninsured":
        raise ValidationFailed(
            errors=[
                (
                    "filter",
                    "摸排未登记参保情况：未参保只能按 record_ids 转介",
                    "The screening does not record insurance: refer `uninsured` by record_ids",
                )
            ]
        )
    area = None
    if f.area_code is not None:
        found = await screening_repo.area(session, f.area_code)
        within = ctx.actor.area_path
        if found is None or within is None or not found.path.startswith(within):
            raise ValidationFailed(errors=[("filter.area_code", "区划不存在", "Unknown area")])
        area = screening_repo.scope_clause(found.level, found.code)
    stmt = screening_repo.records_query(
        [findings.criterion(body.finding, ctx.today), screening_repo.readable_clause(ctx.actor)],
        classification=f.classification,
        area_clause=area,
        age_min=f.age_min,
        age_max=f.age_max,
        today=ctx.today,
        school_status=f.school_status,
        name_prefix=None,
        id_number_key=None,
        updated_since=None,
    )
    ids = await repo.matching_ids(session, stmt, FILTER_MAX)
    if len(ids) > FILTER_MAX:
        raise ValidationFailed(
            errors=[
                (
                    "filter",
                    f"筛选结果超过 {FILTER_MAX} 条，请缩小范围",
                    f"The filter selects more than {FILTER_MAX} records: narrow it",
                )
            ]
        )
    records = await repo.records_by_id(session, set(ids))
    return [records[i] for i in ids]


def _check_agency(body: ScreeningReferralCreate) -> None:
    """422 on `agency` unless the finding concerns it."""
    if findings.concerns(body.finding, body.agency):
        return
    allowed = sorted(findings.AGENCIES_FOR[body.finding])
    raise ValidationFailed(
        errors=[
            (
                "agency",
                f"“{findings.FINDING_ZH[body.finding]}”应转介至 {'、'.join(allowed)}",
                f"{body.finding} is referred to {', '.join(allowed)}",
            )
        ]
    )


def _new_referral(
    ctx: RequestContext, body: ScreeningReferralCreate, record: ScreeningRecord
) -> Referral:
    due = ctx.now + timedelta(days=ctx.settings.screening_referral_ack_days)
    return Referral(
        id=uuid.uuid4(),
        screening_record_id=record.id,
        finding=body.finding,
        agency=body.agency,
        status="pending",
        urgent=False,
        referred_at=ctx.now,
        ack_due_at=due,
        created_by=ctx.actor.name,
        note=body.note,
    )


async def _store_referrals(
    session: AsyncSession,
    ctx: RequestContext,
    body: ScreeningReferralCreate,
    created: list[tuple[Referral, ScreeningRecord]],
) -> None:
    """Insert the referrals (409 if the same finding's referral was just created by another
    request) and queue each one's webhook, as the agency sees it."""
    session.add_all([r for r, _ in created])
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "同一事项的转介刚刚已由他人创建，请重试",
            "A referral for the same finding was just created: retry",
        ) from None
    for referral, record in created:
        await outbox.record_view_event(
            session,
            ctx.keyring,
            event=EVENT_CREATED,
            referral=referral,
            key="screening_referral",
            view=_view(referral, record, _as_agency(body.agency), ctx).model_dump(mode="json"),
            occurred_at=ctx.now,
            area_code=record.village_code,
        )
    await session.flush()


async def refer(
    session: AsyncSession, ctx: RequestContext, body: ScreeningReferralCreate
) -> ScreeningReferralBatch:
    """Refer the records (named, or selected by a filter) for `finding` to `agency`.

    The agency must be one the finding concerns (422 on `agency`). A record already referred
    for the same finding and not finished is never referred twice: by record_ids that is a
    409 naming the open referrals (nothing written); by filter those records are skipped and
    listed with their open referral.
    """
    _check_agency(body)
    by_ids = body.record_ids is not None
    records = await (_records_by_ids if by_ids else _records_by_filter)(session, ctx, body)
    existing = await repo.open_referrals(session, [r.id for r in records], body.finding)
    skipped = [
        SkippedRecord(record_id=rid, open_referral_id=ref, href=HREF.format(ref))
        for rid, ref in existing.items()
    ]
    if by_ids and skipped:
        raise Conflict(
            "该儿童已因同一事项转介，尚未办结",
            "Already referred for this finding, and not finished",
            extra={"open_referrals": [s.model_dump(mode="json") for s in skipped]},
        )
    created = [(_new_referral(ctx, body, rec), rec) for rec in records if rec.id not in existing]
    await _store_referrals(session, ctx, body, created)
    detail = {
        "agency": body.agency,
        "finding": body.finding,
        "ids": [str(r.id) for r, _ in created],
        "skipped": len(skipped),
    }
    audit.record(session, ctx, "screening_referral.create", "referral", None, detail)
    return ScreeningReferralBatch(
        agency=body.agency,
        finding=body.finding,
        matched=len(records),
        created=[_view(r, rec, ctx.actor, ctx) for r, rec in created],
        skipped=skipped,
    )


# -- reading -------------------------------------------------------------------------------------


async def list_referrals(
    session: AsyncSession, ctx: RequestContext, query: ScreeningReferralQuery
) -> Page[ScreeningReferralOut]:
    stmt = repo.list_stmt(ctx.actor, **query.filters())
    keys = [Referral.created_at, Referral.id]
    rows, nxt = await paginate(session, stmt, keys, limit=query.limit, cursor=query.cursor)
    audit.record(
        session,
        ctx,
        "screening_referral.list",
        "referral",
        None,
        {"ids": [str(r.id) for r in rows]},
    )
    return Page(items=await _views(session, ctx, rows), next_cursor=nxt)


async def get_referral(
    session: AsyncSession, ctx: RequestContext, referral_id: uuid.UUID
) -> ScreeningReferralOut:
    referral = known(await repo.get_visible(session, ctx.actor, referral_id), ReferralNotFound)
    audit.record(session, ctx, "screening_referral.read", "referral", referral.id)
    return (await _views(session, ctx, [referral]))[0]


async def stats(session: AsyncSession, ctx: RequestContext) -> ScreeningReferralStats:
    """Counts by finding (referred, open, resolved), outcome, agency and town."""
    scope = repo.visible(ctx.actor)  # the caller's own district's
    by_finding = await repo.counts_by_finding(session, scope)
    zero = {"referred": 0, "open": 0, "resolved": 0, "closed_otherwise": 0}
    return ScreeningReferralStats(
        by_finding={f: FindingCounts(**by_finding.get(f, zero)) for f in findings.FINDINGS},
        by_outcome={o: 0 for o in findings.OUTCOMES} | await repo.counts_by_outcome(session, scope),
        by_agency=await repo.counts_by_agency(session, scope),
        by_town=[
            TownCounts(town_code=t, name=name, referred=n, open=o, resolved=r)
            for t, name, n, o, r in await repo.counts_by_town(session, scope)
        ],
        overdue=await repo.overdue(session, ctx.now, scope),
    )


# -- the agency answers --------------------------------------------------------------------------


async def _agency_referral(
    session: AsyncSession, ctx: RequestContext, referral_id: uuid.UUID
) -> Referral:
    return known(
        await repo.get_visible(session, ctx.actor, referral_id, lock=True), ReferralNotFound
    )


def _update(
    referral: Referral, ctx: RequestContext, status: str | None, **kw: Any
) -> ReferralUpdate:
    return ReferralUpdate(
        referral_id=referral.id,
        at=ctx.now,
        agency_client_id=ctx.actor.id,
        author=ctx.actor.name,
        status=status,
        **kw,
    )


async def acknowledge(
    session: AsyncSession,
    ctx: RequestContext,
    referral_id: uuid.UUID,
    *,
    case_number: str | None,
    note: str | None,
) -> ScreeningReferralOut:
    """签收; repeating it changes nothing."""
    referral = await _agency_referral(session, ctx, referral_id)
    if referral.status == "pending":
        referral.status = "acknowledged"
        referral.acknowledged_at = ctx.now
        referral.acknowledged_by = ctx.actor.name
        if case_number:
            referral.agency_case_number = case_number
        session.add(_update(referral, ctx, "acknowledged", note=note, case_number=case_number))
        await session.flush()
        await session.refresh(referral)
        audit.record(session, ctx, "screening_referral.acknowledge", "referral", referral.id)
    return (await _views(session, ctx, [referral]))[0]


async def report_outcome(
    session: AsyncSession, ctx: RequestContext, referral_id: uuid.UUID, body: OutcomeIn
) -> ScreeningReferralOut:
    """办结: the outcome (enrolled, insured, assessed, not_found, moved_away, other) once the
    referral is acknowledged; the outcome must fit the finding (422 on `outcome`)."""
    referral = await _agency_referral(session, ctx, referral_id)
    if referral.status == "pending":
        raise TransitionRefused(
            "请先签收转介", "Acknowledge the referral first", extra={"status": referral.status}
        )
    if referral.status in ("completed", "declined"):
        raise TransitionRefused(
            "转介已办结", "The referral is already finished", extra={"status": referral.status}
        )
    assert referral.finding is not None
    if not findings.fits(referral.finding, body.outcome):
        raise ValidationFailed(
            errors=[
                (
                    "outcome",
                    f"结果 {body.outcome} 与转介事项 {referral.finding} 不符",
                    f"{body.outcome} does not end a referral for {referral.finding}",
                )
            ]
        )
    referral.status = "completed"
    referral.outcome = body.outcome
    referral.outcome_note = body.note
    referral.resolved_at = ctx.now
    if body.case_number:
        referral.agency_case_number = body.case_number
    session.add(_update(referral, ctx, "completed", note=body.note, case_number=body.case_number))
    await session.flush()
    await session.refresh(referral)
    audit.record(
        session,
        ctx,
        "screening_referral.outcome",
        "referral",
        referral.id,
        {"outcome": body.outcome},
    )
    return (await _views(session, ctx, [referral]))[0]


async def finding_counts(session: AsyncSession, area: Any) -> dict[str, dict[str, int]]:
    """For the screening statistics: per finding, referred / open / resolved in the area."""
    counts = await repo.counts_by_finding(session, area)
    zero = {"referred": 0, "open": 0, "resolved": 0, "closed_otherwise": 0}
    return {f: counts.get(f, zero) for f in findings.FINDINGS}
