"""The phone's sync 同步: what changed in the caller's jurisdiction since its cursor.

How "nothing is ever skipped" holds under concurrent writes
------------------------------------------------------------
Every INSERT or UPDATE of a child (the ledger's table), a visit or a follow-up appends a row to
`sync_changes` through a trigger, in the writing transaction, carrying that transaction's id
(`pg_current_xact_id()`). Sequence numbers or timestamps alone would not do: they are taken
when a row is written but become visible when its transaction commits, so a reader could see
change 12 before change 11 commits and move its cursor past 11 for ever.

The cursor is therefore a transaction-id *horizon*: before reading, we take the oldest
transaction still in progress in a fresh snapshot (or, with none, the next id to be assigned).
Every transaction below the horizon has ended, so all of its changes are visible to the reads
that follow (READ COMMITTED takes a later snapshot for them, which only sees more). The next
call asks for the changes of transactions at or above that horizon — including the ones that
were still in progress last time. A change can be sent twice (harmless: each child entry is
complete and replaces the phone's copy), never skipped. With nothing in flight and nothing
changed, the answer is an empty list and a cursor that moves to the present: a few hundred
bytes, one indexed range scan.

The log is pruned (`sync.prune_changes`, every 6 hours) of changes older than
SYNC_CHANGES_RETENTION_DAYS, and `sync_state.pruned_below_xid` rises above every pruned change
in the same statement. A cursor below it may have lost changes, so that phone gets the whole
set again (`full: true`); a cursor at or above it lost nothing.

Each child in the answer is complete: the fields a visitor needs, its last visit, its open
follow-ups, the metadata of its documents and of its visits' photos (never their bytes: the
phone fetches `/api/v1/documents/{id}/content` or `/thumbnail` when it needs them; a stored
document enters the change log through a trigger, like a visit) (a follow-up resolved since simply disappears from the list). A child that changed
and is no longer readable by the caller, or has left the ledger, comes back as a tombstone.

A village director's answer also carries `protection_visits_due`: the follow-up visits due to
children the protection centre returned to a family of the village (not ledger children, so
outside the change log): the whole list on every sync, full or incremental, for the phone to
replace (`app/protection/followups.py`; one indexed query, for directors only).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import merge
from app.children import service as children
from app.children.errors import ChildNotFound
from app.documents import repository as documents
from app.documents.schemas import DocumentMeta
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.audit_batch import write_read
from app.kit.context import RequestContext
from app.kit.etag import version_never_existed
from app.kit.lean import driver_connection
from app.models import Child, Document, FollowUp, Visit
from app.protection import followups
from app.sync import repository as repo
from app.sync.schemas import (
    ChildEdit,
    LastVisit,
    OpenFollowUp,
    SyncChild,
    SyncOut,
    Tombstone,
)

_PREFIX = "x1:"


def nothing_new_etag(out: SyncOut) -> str | None:
    """A weak ETag for an incremental answer with nothing new (no child, no tombstone), else
    None. It leaves out the cursor, which moves on every call: a 304 tells the phone that what
    it holds is still the answer, and the cursor it sent stays valid (changes at or above its
    horizon are still to come). The follow-up visits due are in it: a change there is news."""
    if out.full or out.children or out.tombstones:
        return None
    due = ",".join(v.model_dump_json() for v in out.protection_visits_due)
    return f'W/"sync-{hashlib.sha256(due.encode()).hexdigest()[:20]}"'


# An answer with nothing new and no follow-up visit due: the bytes FastAPI makes of that
# SyncOut (tests/sync check they are the same), around its cursor (base64url: nothing to
# escape), and its ETag (it never changes: the cursor is not in it).
_QUIET_BODY = (
    b'{"next_cursor":"',
    b'","full":false,"children":[],"tombstones":[],"protection_visits_due":[]}',
)
_QUIET_ETAG = f'W/"sync-{hashlib.sha256(b"").hexdigest()[:20]}"'


async def nothing_new(state: Any, ctx: RequestContext, since: int) -> tuple[bytes, str] | None:
    """The answer to an incremental sync (cursor `since`) when nothing changed in the caller's
    jurisdiction: (its JSON body, its ETag), the same bytes and header `sync` and the route
    give; None when something changed or the cursor is below the pruning horizon (then `sync`
    answers, reading the changes again).

    The idle phone's case, and the most frequent request of a phone: one statement on a
    pooled connection (`repo.quiet`: the horizon, the pruning horizon, whether anything
    changed, a director's visits due, in one snapshot), no ORM session, no model built when
    there is no visit due. The visits due are in the audit log (their batch committed) before
    the answer leaves, as on the full path. `state` is the app's (pool, audit batcher)."""
    async with driver_connection(state) as conn:
        row = await repo.quiet(conn, ctx.actor, since)
    if row.changed or since < (row.pruned_below or 0):
        return None
    cursor = encode_cursor(int(row.horizon or 0))
    due_json = row.__dict__.get("due")
    if not due_json:
        return _QUIET_BODY[0] + cursor.encode() + _QUIET_BODY[1], _QUIET_ETAG
    due = followups.due_from_json(ctx, due_json)
    await write_read(state, followups.sync_audit_entry(ctx, due))
    out = SyncOut(
        next_cursor=cursor, full=False, children=[], tombstones=[], protection_visits_due=due
    )
    etag = nothing_new_etag(out)
    assert etag is not None
    return out.model_dump_json().encode(), etag


def encode_cursor(xid: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{xid}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith(_PREFIX):
            raise ValueError
        xid = int(raw[len(_PREFIX) :])
        if xid < 0:
            raise ValueError
        return xid
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed(
            errors=[
                (
                    "cursor",
                    "同步游标无效，请不带游标重新同步",
                    "Invalid cursor; sync again without one",
                )
            ]
        ) from None


async def sync(session: AsyncSession, ctx: RequestContext, cursor: str | None) -> SyncOut:
    principal = ctx.actor
    since = None if cursor is None else decode_cursor(cursor)
    tombstones: list[Tombstone] = []
    if since is None:
        # The horizon first: the reads below see at least everything below it.
        now_xid = await repo.horizon(session)
        kids = await repo.children(session, principal, None)
    else:
        now_xid, pruned_below, changed = await repo.changed_children(session, principal, since)
        if since < pruned_below:
            # Changes since this cursor may have been pruned (the phone was away longer than
            # SYNC_CHANGES_RETENTION_DAYS): it starts over with the whole set.
            since = None
            kids = await repo.children(session, principal, None)
        elif not changed:
            return SyncOut(
                next_cursor=encode_cursor(now_xid),
                full=False,
                children=[],
                tombstones=[],
                protection_visits_due=await followups.due_for_sync(session, ctx),
            )
        else:
            kids = await repo.children(session, principal, changed)
            present = {c.id for c in kids}
            gone = [i for i in changed if i not in present]
            status = await repo.statuses(session, gone) if gone else {}
            tombstones = [
                Tombstone(
                    child_id=i,
                    reason="left_ledger"
                    if status.get(i, "revoked") == "revoked"
                    else "left_jurisdiction",
                )
                for i in sorted(gone)
            ]
    ids = [c.id for c in kids]
    visits = await repo.last_visits(session, ids)
    follow = await repo.open_follow_ups(session, ids)
    docs = await documents.of_children(session, ids)
    out = [
        to_sync_child(c, visits.get(c.id), follow.get(c.id, []), docs.get(c.id, [])) for c in kids
    ]
    if out:
        audit.record(
            session,
            ctx,
            "child.sync",
            "child",
            None,
            {"count": len(out), "full": since is None},
        )
    return SyncOut(
        next_cursor=encode_cursor(now_xid),
        full=since is None,
        children=out,
        tombstones=tombstones,
        protection_visits_due=await followups.due_for_sync(session, ctx),
    )


async def edit_child(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, body: ChildEdit
) -> SyncChild:
    """A phone's correction of a child record, made on `base_version`; never a silent overwrite.

    The same rule as PATCH /children/{id} (app/children/merge.py): on an older version, the edit
    is applied when it touches no field changed since, else 409 `edit_conflict` listing those
    fields with both values, nothing applied. A retried edit that did arrive changes nothing.
    412 for a version the record never had.
    """
    child = await _apply_edit(session, ctx, child_id, body)
    visits = await repo.last_visits(session, [child.id])
    follow = await repo.open_follow_ups(session, [child.id])
    docs = await documents.of_children(session, [child.id])
    return to_sync_child(
        child, visits.get(child.id), follow.get(child.id, []), docs.get(child.id, [])
    )


async def _apply_edit(
    session: AsyncSession, ctx: RequestContext, child_id: uuid.UUID, body: ChildEdit
) -> Child:
    principal = ctx.actor
    edits = body.changes.model_dump(mode="json", exclude_unset=True)
    if not edits:
        raise ValidationFailed(errors=[("changes", "没有要修改的字段", "Nothing to change")])
    child = await repo.child_for_update(session, principal, child_id)
    if child is None:
        raise ChildNotFound()
    if body.base_version > child.version:
        raise version_never_existed(child.version)
    await merge.check_stale_edit(session, child, body.base_version, edits)
    changes = [
        {"field": f, "from": merge.current_value(child, f), "to": v}
        for f, v in edits.items()
        if merge.current_value(child, f) != v
    ]
    if changes:
        for c in changes:
            setattr(child, c["field"], c["to"])
        now = ctx.now
        await children.record_change(
            session, child, "changed", principal, changes,
            reason="phone edit", effective_on=children.today_of(now), now=now,
        )  # fmt: skip
        await session.flush()
        audit.record(
            session,
            ctx,
            "child.update",
            "child",
            child.id,
            {"fields": [c["field"] for c in changes]},
        )
    return child


def to_sync_child(
    child: Child,
    visit: Visit | None,
    follow_ups: list[FollowUp],
    docs: Sequence[Document] = (),
) -> SyncChild:
    return SyncChild(
        id=child.id,
        name=child.name,
        gender=child.gender,
        birth_date=child.birth_date,
        category=child.category,
        placement=child.placement,
        village_code=child.village_code,
        status=child.status,
        approved_on=child.approved_on,
        guardians=child.guardians,
        school_stage=child.school_stage,
        school_name=child.school_name,
        version=child.version,
        last_visit=None
        if visit is None
        else LastVisit(
            id=visit.id,
            visited_at=visit.visited_at,
            mode=visit.mode,
            visitor_name=visit.visitor_name,
        ),
        open_follow_ups=[
            OpenFollowUp(id=f.id, kind=f.kind, text=f.text, status=f.status, due_on=f.due_on)
            for f in follow_ups
        ],
        documents=[DocumentMeta.model_validate(d, from_attributes=True) for d in docs],
    )
