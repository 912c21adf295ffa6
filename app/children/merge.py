"""Per-field merge of a stale edit of a child record 字段级合并.

A visitor's phone edits the record it synced, maybe days ago and offline; meanwhile the bureau or
another phone may have changed the record. The rule, the same for `PATCH /children/{id}` (the
version in If-Match) and the phone's `POST /sync/children/{id}` (`base_version`):

- An edit made on the current version is applied.
- An edit made on an older version N that existed: the fields changed since N are those whose
  value now differs from their value at N, read from the history entries that produced the
  versions N+1 … now (each entry keeps its fields' from/to and the version it produced). If the
  edit touches none of them, it is applied on the current record as a whole (a new version),
  although its version is stale. If it touches some, nothing of it is applied: 409
  `edit_conflict` lists each such field with the edit's value (`yours`), the record's value now
  (`theirs`) and its value at N (`base`). A field the edit sets to the value it already has is
  never a conflict (a retried edit that did arrive changes nothing).
- When the history does not account for every version since N (a version written without an
  entry, before the versions were kept), what changed cannot be told: every field the edit would
  change conflicts, without `base`.
- A version that never existed is the caller's 412 (kit/etag.py), not a merge.

A field is a top-level field of the record, whatever the record holds (derived from the edit's
own schema and the history, never listed here): a list or an object (`guardians`, `parents`,
`insurance`) is one field. A history entry naming a nested path (`parents.0.since`) counts for
its top-level field, with its value at N unknown.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import repository as repo
from app.children.fields import json_value
from app.errors import Conflict
from app.kit.etag import etag_for
from app.models import Child


class EditConflict(Conflict):
    """409 for a stale edit touching fields someone else changed since its version."""

    code = "edit_conflict"
    title_zh = "修改冲突：记录已被他人修改"
    title_en = "Edit conflict: the record was changed by someone else"


_UNKNOWN = object()


def current_value(child: Child, field: str) -> Any:
    """A field of the record now, as the history keeps it (the ID number masked)."""
    if field == "id_number":
        return child.id_number_masked
    return json_value(getattr(child, field, None))


async def changed_since(session: AsyncSession, child: Child, version: int) -> dict[str, Any] | None:
    """{field: its value at `version`} for each field whose value changed since; `None` when
    the history does not account for every version since."""
    entries = await repo.changes_after(session, child.id, version)
    if {e.version for e in entries} != set(range(version + 1, child.version + 1)):
        return None
    base: dict[str, Any] = {}
    for entry in entries:
        for change in entry.changes:
            name = str(change.get("field", ""))
            top = name.split(".")[0]
            if top not in base:
                base[top] = change.get("from") if name == top else _UNKNOWN
    return {f: v for f, v in base.items() if v is _UNKNOWN or v != current_value(child, f)}


async def check_stale_edit(
    session: AsyncSession, child: Child, base_version: int, edits: dict[str, Any]
) -> None:
    """Raise EditConflict when the edit made on `base_version` touches a field changed since.

    `edits` holds the fields the edit sends, valued as the history keeps them.
    """
    if base_version == child.version:
        return
    since = await changed_since(session, child, base_version)
    conflicts: list[dict[str, Any]] = []
    for field, yours in edits.items():
        theirs = current_value(child, field)
        if json_value(yours) == theirs:
            continue
        if since is None:
            conflicts.append({"field": field, "yours": json_value(yours), "theirs": theirs})
        elif field in since:
            conflict = {"field": field, "yours": json_value(yours), "theirs": theirs}
            if since[field] is not _UNKNOWN:
                conflict["base"] = since[field]
            conflicts.append(conflict)
    if conflicts:
        raise conflict_error(child.id, child.version, base_version, conflicts)


def conflict_error(
    child_id: uuid.UUID, version: int, base_version: int, conflicts: list[dict[str, Any]]
) -> EditConflict:
    names = "、".join(c["field"] for c in conflicts)
    names_en = ", ".join(c["field"] for c in conflicts)
    return EditConflict(
        f"该儿童记录在您编辑的版本 {base_version} 之后已被他人修改（当前版本 {version}），"
        f"以下字段冲突：{names}。本次修改均未保存，请核对后重新提交",
        f"Since version {base_version}, which you edited, someone else changed the record "
        f"(now version {version}): {names_en}. Nothing of your edit was saved; review these "
        "fields and send it again",
        extra={
            "child_id": str(child_id),
            "base_version": base_version,
            "server_version": version,
            "current_etag": etag_for(version),
            "conflicts": conflicts,
        },
    )
