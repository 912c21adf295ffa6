"""主动发现: cross-match the assisted households' minors against the ledger by ID-number HMAC.

A minor (under 18 on the import date) whose ID number is on an active ledger record is already
enrolled; a minor with the same name but another ID number is a different child. Every other
minor whose facts suggest a category (rules.suggested_categories) becomes a candidate with the
reasons. Re-importing keeps dismissed candidates dismissed unless their facts changed.

Members are also matched, by the same ID hash, with the migrant screening records 监测摸排:
a screened child's record is named in the candidate's facts, and a disability found in the
screening counts where the household list has none.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.children import repository as children_repo
from app.children import rules
from app.children import service as children
from app.children.schemas import ChildCreate
from app.discovery import repository as repo
from app.discovery.auth import require_candidate_reader
from app.discovery.parsing import MemberRow, ParseError, parse
from app.discovery.schemas import (
    CandidateOut,
    DismissRequest,
    EnrollRequest,
    ImportResult,
)
from app.errors import Conflict, NotFound, ValidationFailed
from app.kit import audit, idnumber
from app.kit.context import RequestContext
from app.kit.crypto import KeyRing
from app.kit.glossary import zh_map
from app.kit.pagination import Page, page_of
from app.models import Child, DiscoveryCandidate

ID_CONTEXT = b"discovery.id_number"
ASSISTANCE_ZH = zh_map("household_assistance")
SITUATION_ZH = {
    "deceased": "死亡",
    "declared_dead": "宣告死亡",
    "declared_missing": "宣告失踪",
    "severe_disability": "重残",
    "serious_illness": "重病",
    "imprisoned": "服刑在押",
    "compulsory_drug_rehab": "强制隔离戒毒",
    "liberty_restricted": "被限制人身自由",
    "lost_contact": "失联",
    "guardianship_revoked": "被撤销监护资格",
    "deported": "被遣送（驱逐）出境",
}


def _reason_text(category: str, facts: dict[str, Any]) -> str:
    assistance = ASSISTANCE_ZH.get(facts["household_assistance"], facts["household_assistance"])
    parents = "、".join(
        f"{'父亲' if p['relation'] == 'father' else '母亲'}{SITUATION_ZH[p['situation']]}"
        for p in facts["parents"]
    )
    if category == "poor_family_disabled":
        d = facts["disability"]
        if d.get("source") == "screening":
            return f"家庭享受{assistance}，监测摸排记录显示儿童残疾（{d['grade']}级）"
        return f"家庭享受{assistance}，儿童持有残疾证（{d['grade']}级）"
    if category == "poor_family_seriously_ill":
        return f"家庭享受{assistance}，儿童患重病（{facts['serious_illness']['diagnosis']}）"
    if category == "orphan":
        return f"父母情形：{parents}（符合孤儿条件）"
    return f"父母情形：{parents}（符合事实无人抚养儿童条件）"


def _parents_of(member: MemberRow, household: list[MemberRow], today: Any) -> list[dict[str, Any]]:
    if member.relation != "child":
        return []
    out = []
    for m in household:
        if m.relation in ("head", "spouse") and m.situation:
            try:
                gender = idnumber.parse(m.id_number, today=today).gender
            except idnumber.InvalidIdNumber:
                continue
            out.append(
                {
                    "relation": "father" if gender == "male" else "mother",
                    "situation": m.situation,
                    "since": (m.situation_since or today).isoformat(),
                }
            )
    return out


def _at(row: int | None, msg: str, *, en: bool = False) -> str:
    if row is None:
        return msg
    return f"Row {row}: {msg}" if en else f"第{row}行：{msg}"


def _facts_hash(facts: dict[str, Any]) -> str:
    raw = json.dumps(facts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


async def import_households(session: AsyncSession, ctx: RequestContext, raw: bytes) -> ImportResult:
    """Import the household list; every bad row is named, nothing applied then."""
    ring, now, today = ctx.keyring, ctx.now, ctx.today
    members = _parse_members(raw)
    parsed = await _check_members(session, members, today)
    households: dict[str, list[MemberRow]] = defaultdict(list)
    for m in members:
        households[m.household_id].append(m)
    minors = [m for m in members if rules.age_on(parsed[m.row].birth_date, today) < 18]
    hashes = {m.row: ring.lookup_hash(parsed[m.row].value) for m in minors}
    enrolled = await children_repo.active_hashes(session, list(hashes.values()))
    existing = await repo.by_hashes(session, list(hashes.values()))
    screened = await repo.screening_by_hashes(session, list(hashes.values()))
    counts = dict.fromkeys(("new", "updated", "reopened", "dismissed", "none", "enrolled"), 0)
    for m in minors:
        h = hashes[m.row]
        if h in enrolled:
            counts["enrolled"] += 1
            continue
        facts = _facts_of(m, households[m.household_id], screened.get(h), today)
        suggested = rules.suggested_categories(facts, today)
        if not suggested:
            counts["none"] += 1
            continue
        outcome = _store_candidate(
            session, ring, existing, h, parsed[m.row], m, facts, suggested, now
        )
        if outcome is not None:
            counts[outcome] += 1
    await session.flush()
    audit.record(
        session,
        ctx,
        "discovery.import",
        "household_list",
        None,
        {"rows": len(members)} | counts,
    )
    return ImportResult(
        rows=len(members),
        households=len(households),
        minors=len(minors),
        already_enrolled=counts["enrolled"],
        candidates_new=counts["new"],
        candidates_updated=counts["updated"],
        candidates_reopened=counts["reopened"],
        still_dismissed=counts["dismissed"],
        not_qualifying=counts["none"],
    )


def _rows_invalid(errors: list[tuple[int | None, str, str, str]]) -> ValidationFailed:
    """422 naming each (row, field, Chinese, English) problem, with the rows in `extra`."""
    return ValidationFailed(
        errors=[(f, _at(r, zh), _at(r, en, en=True)) for r, f, zh, en in errors],
        extra={"rows": [{"row": r, "field": f, "message": zh} for r, f, zh, _en in errors]},
    )


def _parse_members(raw: bytes) -> list[MemberRow]:
    """The household list's members, or 422 naming every row the parser refused."""
    try:
        return parse(raw)
    except ParseError as e:
        raise _rows_invalid(e.errors) from None


async def _check_members(
    session: AsyncSession, members: list[MemberRow], today: date
) -> dict[int, idnumber.IdNumber]:
    """Each member's ID number parsed (by row), or 422 naming the first 200 problems: unknown
    villages and invalid ID numbers."""
    errors: list[tuple[int | None, str, str, str]] = []
    known = await repo.village_codes(session, {m.village_code for m in members})
    parsed: dict[int, idnumber.IdNumber] = {}
    for m in members:
        if m.village_code not in known:
            errors.append((m.row, "village_code", "村居代码不存在", "Unknown village"))
        try:
            parsed[m.row] = idnumber.parse(m.id_number, today=today)
        except idnumber.InvalidIdNumber as e:
            errors.append((m.row, "id_number", str(e), "Invalid ID number"))
    if errors:
        raise _rows_invalid(errors[:200])
    return parsed


def _facts_of(m: MemberRow, household: list[MemberRow], record: Any, today: date) -> dict[str, Any]:
    """What the household list (and the migrant screening's `record`, if the child was
    screened) says of a minor: the facts the categories are suggested from."""
    facts: dict[str, Any] = {
        "household_assistance": m.assistance,
        "disability": m.disability,
        "serious_illness": m.serious_illness,
        "parents": _parents_of(m, household, today),
    }
    if record is not None:
        # Seen in the migrant screening: its facts join the household list's.
        facts["screening"] = {
            "record_id": str(record.id),
            "screened_on": record.screened_on.isoformat(),
            "classification": record.classification,
            "school_status": record.school_status,
        }
        if not facts["disability"] and record.disability_grade:
            facts["disability"] = {
                "kind": record.disability_kind,
                "grade": record.disability_grade,
                "source": "screening",
            }
    return facts


def _store_candidate(
    session: AsyncSession,
    ring: KeyRing,
    existing: dict[str, DiscoveryCandidate],
    h: str,
    idn: idnumber.IdNumber,
    m: MemberRow,
    facts: dict[str, Any],
    suggested: list[str],
    now: datetime,
) -> str | None:
    """Open, update or reopen the minor's candidate; the count it falls under (None for a
    candidate already enrolled, left as it is)."""
    reasons = [{"category": c, "reason": _reason_text(c, facts)} for c in suggested]
    fh = _facts_hash(facts)
    cand = existing.get(h)
    if cand is None:
        cand = DiscoveryCandidate(
            id=uuid.uuid4(),
            id_number_enc=ring.encrypt(idn.value, context=ID_CONTEXT),
            id_number_hash=h,
            id_number_masked=idn.masked,
            gender=idn.gender,
            birth_date=idn.birth_date,
            status="open",
        )
        session.add(cand)
        existing[h] = cand
        outcome = "new"
    elif cand.status == "enrolled":
        return None
    elif cand.status == "dismissed" and cand.facts_hash == fh:
        cand.last_seen_at = now
        return "dismissed"
    elif cand.status == "dismissed":
        cand.status, cand.dismiss_reason = "open", None
        outcome = "reopened"
    else:
        outcome = "updated"
    cand.name = m.name
    cand.household_id = m.household_id
    cand.household_assistance = m.assistance
    cand.village_code = m.village_code
    cand.facts, cand.facts_hash, cand.reasons = facts, fh, reasons
    cand.last_seen_at = now
    return outcome


async def _candidate(
    session: AsyncSession, principal: Principal, cid: uuid.UUID
) -> DiscoveryCandidate:
    cand = await repo.get(session, principal, cid, for_update=True)
    if cand is None:
        raise NotFound("候选儿童不存在", "No such candidate")
    if cand.status != "open":
        raise Conflict(f"该候选已处理（{cand.status}）", f"The candidate is already {cand.status}")
    return cand


def candidate_out(c: DiscoveryCandidate) -> CandidateOut:
    """The candidate as the API shows it: its columns, the ID number masked."""
    values = {f: getattr(c, f) for f in CandidateOut.model_fields if f != "id_number"}
    return CandidateOut.model_validate(values | {"id_number": c.id_number_masked})


async def list_candidates(
    session: AsyncSession, ctx: RequestContext, status: str | None, limit: int, cursor: str | None
) -> Page[CandidateOut]:
    """The candidates of the caller's jurisdiction (not the institute's staff), oldest first."""
    require_candidate_reader(ctx.actor)
    stmt = repo.list_stmt(ctx.actor, status)
    keys = [DiscoveryCandidate.created_at, DiscoveryCandidate.id]
    return await page_of(session, stmt, keys, limit, cursor, candidate_out)


async def dismiss(
    session: AsyncSession, ctx: RequestContext, cid: uuid.UUID, body: DismissRequest
) -> CandidateOut:
    """Dismiss a candidate, with the reason."""
    cand = await _candidate(session, ctx.actor, cid)
    cand.status, cand.dismiss_reason = "dismissed", body.reason
    await session.flush()
    audit.record(session, ctx, "discovery.dismiss", "discovery_candidate", cand.id)
    return candidate_out(cand)


async def enroll(
    session: AsyncSession, ctx: RequestContext, cid: uuid.UUID, body: EnrollRequest
) -> Child:
    """Enrol a candidate: a child record is created (all the usual rules) and linked."""
    ring = ctx.keyring
    cand = await _candidate(session, ctx.actor, cid)
    data = body.model_dump(mode="json")
    if "household_assistance" not in body.model_fields_set:
        data["household_assistance"] = cand.household_assistance
    for key in ("disability", "serious_illness"):
        if key not in body.model_fields_set and cand.facts.get(key):
            data[key] = cand.facts[key]
    if "parents" not in body.model_fields_set:
        data["parents"] = cand.facts.get("parents", [])
    if body.placement == "dispersed" and body.village_code is None:
        data["village_code"] = cand.village_code
    create = ChildCreate.model_validate(
        data
        | {"name": cand.name, "id_number": ring.decrypt(cand.id_number_enc, context=ID_CONTEXT)}
    )
    child = await children.create_child(session, ctx, create)
    cand.status, cand.child_id = "enrolled", child.id
    await session.flush()
    detail = {"child_id": str(child.id)}
    audit.record(session, ctx, "discovery.enroll", "discovery_candidate", cand.id, detail)
    return child
