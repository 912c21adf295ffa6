"""Field projection for partner agencies: the one place that decides what each mandate sees.

Which children an agency reads at all is `app.auth.mandate` (those its open referrals concern);
of such a child every agency sees who the child is (name, gender, birth date, status, the ID
number — whole for the police, masked for everyone else); beyond that: education → schooling;
health → health, insurance, disability; disabled_federation → disability; police → residence.
An agency with no mandate here (women_federation) reads no child records.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import TypeAdapter
from pydantic_core import to_json

from app.auth.mandate import whole_id_number
from app.children.fields import FIELDS, REVOCATION_FIELDS
from app.children.schemas import ChildOut, ChildPartnerView, ReviewFlag
from app.children.schooling import normal_end
from app.kit.context import RequestContext
from app.kit.crypto import KeyRing
from app.kit.lean import LeanRow
from app.kit.reveal import reveal
from app.models import Child

Record = Child | LeanRow
"""A child's row: an ORM instance, or a lean read's row (the same attribute names)."""

# The AES-GCM context (associated data) of `children.id_number_enc`.
ID_CONTEXT: Final = b"child.id_number"

BASE_FIELDS = ("id", "name", "gender", "birth_date", "status", "updated_at", "id_number")
MANDATES: dict[str, tuple[str, ...]] = {
    "education": ("school_stage", "school_name", "school_enrolment_year", "school_expected_end_on"),
    "health": ("serious_illness", "insurance", "disability"),
    "disabled_federation": ("disability",),
    "police": ("placement", "village_code"),
}


def has_mandate(agency: str | None) -> bool:
    return agency in MANDATES


def id_number(child: Record, ring: KeyRing) -> str:
    """The child's whole ID number (decrypted with the children's context, or an error)."""
    return reveal(
        ring,
        child.id_number_enc,
        context=ID_CONTEXT,
        column="children.id_number_enc",
        record_id=child.id,
    )


def project_for_agency(agency: str, child: Record, ring: KeyRing) -> dict[str, Any]:
    """The child as `agency` may see it: the base fields and its mandate's fields, nothing else."""
    out: dict[str, Any] = {}
    for name in (*BASE_FIELDS, *MANDATES.get(agency, ())):
        if name == "id_number":
            out[name] = (
                id_number(child, ring) if whole_id_number(agency) else child.id_number_masked
            )
        else:
            out[name] = getattr(child, name)
    return out


def view(child: Record, ctx: RequestContext, *, reveal: bool = False) -> dict[str, Any]:
    """The child as the caller sees it: projected for agencies; ID masked unless revealed."""
    principal = ctx.actor
    if principal.kind == "agency":
        return project_for_agency(str(principal.agency), child, ctx.keyring)
    out = {f: getattr(child, f) for f in (*FIELDS, *REVOCATION_FIELDS, "revoke_note")}
    out.update(
        id=child.id,
        status=child.status,
        schooling_ends_on=normal_end(
            child.school_stage, child.school_enrolment_year, child.school_expected_end_on
        ),
        version=child.version,
        created_at=child.created_at,
        updated_at=child.updated_at,
        id_number=child.id_number_masked,
        review_flags=child.review_flags or [],
        reverify_on=child.reverify_on,
    )
    if reveal:
        out["id_number"] = id_number(child, ctx.keyring)
    return out


def staff_view(child: Child, ctx: RequestContext) -> ChildOut:
    """The record as a staff writer sees it after a write (the ID number masked)."""
    return ChildOut.model_validate({**view(child, ctx), "view": "staff"})


def shaped(data: dict[str, Any]) -> ChildOut | ChildPartnerView:
    """A view as its schema: the staff's record, or an agency's projection. `view` names which
    (set explicitly: the record's read leaves unset fields out), the union's discriminator."""
    if "category" in data:
        return ChildOut.model_validate({**data, "view": "staff"})
    return ChildPartnerView(**data, view="partner")


# -- the answer's JSON without a model in between (issue 30) ---------------------------------

_STAFF_FIELDS: Final = tuple(ChildOut.model_fields)
_PARTNER_FIELDS: Final = tuple(ChildPartnerView.model_fields)
_FLAGS: Final = TypeAdapter(list[ReviewFlag])


def answer_item(data: dict[str, Any]) -> dict[str, Any]:
    """A view as `shaped(data)` dumps with `exclude_unset` (what the read and the list answer):
    the fields the view sets, in the schema's order, `view` naming which. Its values are the
    schema's already (the row's types; the JSONB columns are `dict[str, Any]` in the schema),
    except the review flags, validated into their model here (its fields, in its order). Many
    times cheaper than validating the whole record and dumping the model again; a test compares
    the bytes with the models' on every kind of record and caller."""
    if "category" in data:
        item: dict[str, Any] = {"view": "staff"}
        for f in _STAFF_FIELDS[1:]:
            if f in data:
                item[f] = data[f]
        flags = item.get("review_flags")
        if flags:
            item["review_flags"] = _FLAGS.validate_python(flags)
        return item
    item = {"view": "partner"}
    for f in _PARTNER_FIELDS[1:]:
        if f in data:
            item[f] = data[f]
    return item


def answer_json(data: dict[str, Any]) -> bytes:
    """The JSON of one child's view (the record's read; an item of a page)."""
    return to_json(answer_item(data))


def page_json(items: list[bytes], next_cursor: str | None) -> bytes:
    """The JSON of a page (`Page[ChildOut | ChildPartnerView]`, exclude_unset) of items'
    JSON (`answer_json`): what pydantic writes for the whole page, compact, in its order."""
    return b'{"items":[%s],"next_cursor":%s}' % (b",".join(items), to_json(next_cursor))


class AnswerMemo:
    """Items' JSON already made, by everything they were made from: which view (the staff's,
    an agency's) and the row's every value as read. The same values give the same bytes (the
    view is a function of the row), so a hit is exact and a changed row (any column: its
    version, its updated_at, a fact) is another key. Views that show a whole ID number are
    never kept. Bounded: past `max_entries` everything is made again."""

    def __init__(self, max_entries: int = 5000) -> None:
        self.max_entries = max_entries
        self._items: dict[tuple[Any, ...], bytes] = {}

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        return self._items.get(key)

    def put(self, key: tuple[Any, ...], item: bytes) -> None:
        if len(self._items) >= self.max_entries:
            self._items.clear()
        self._items[key] = item
