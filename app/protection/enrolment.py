"""长期监护: a child discharged to the department's long-term guardianship (art. 94) enters the
ledger as an institution child of the institute, linked to the intake.

The ledger needs a name and a valid ID number; an intake may have neither (a child found
without papers). Nothing is invented: the enrolment waits (`pending`, the missing facts in
`enrolment_flags`) until the centre records them on the intake (PATCH), then it happens. The
facts the category rests on (the parents' situations) are flagged on the ledger child's
`review_flags` for completion, never demanded at discharge. A child already on the ledger is
linked, not enrolled twice (its record is for the ledger's staff to change).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.children import repository as children_repo
from app.children import service as children
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.reveal import reveal
from app.models import ProtectionIntake
from app.protection.rules import ledger_category

ID_CONTEXT = b"protection_intake.child_id_number"
"""The AES-GCM context of an intake's child ID number."""


def child_id_number(intake: ProtectionIntake, ctx: RequestContext) -> str | None:
    """The child's whole ID number (for the ledger's enrolment), if one is known."""
    if intake.child_id_number_enc is None:
        return None
    return reveal(
        ctx.keyring,
        intake.child_id_number_enc,
        context=ID_CONTEXT,
        column="protection_intakes.child_id_number_enc",
        record_id=intake.id,
    )


def _flag(field: str, zh: str, en: str, on: str) -> dict[str, str]:
    return {
        "field": field,
        "rule": "missing_for_ledger",
        "reason_zh": zh,
        "reason_en": en,
        "flagged_on": on,
    }


async def enrol(session: AsyncSession, ctx: RequestContext, intake: ProtectionIntake) -> None:
    """Enrol (or link, or flag as pending) the child of a long-term guardianship discharge."""
    assert intake.long_term_basis is not None
    assert intake.discharged_on is not None
    on = ctx.today.isoformat()
    flags = []
    if not intake.child_name:
        flags.append(_flag("child.name", "台账须填写儿童姓名", "The ledger needs the name", on))
    if intake.child_id_number_enc is None:
        flags.append(
            _flag(
                "child.id_number",
                "台账须填写有效的身份证号码（户籍登记后补录）",
                "The ledger needs a valid ID number (record it once registered)",
                on,
            )
        )
    if flags:
        intake.enrolment, intake.enrolment_flags = "pending", flags
        await session.flush()
        return
    number = child_id_number(intake, ctx)
    assert number is not None
    assert intake.child_name is not None
    existing = await children_repo.find_active_by_hash(session, ctx.keyring.lookup_hash(number))
    if existing is not None:
        intake.enrolment, intake.child_id = "linked", existing.id
        intake.enrolment_flags = [
            {
                "field": "child_id",
                "rule": "already_on_ledger",
                "reason_zh": "该儿童已在台账中：请核对其类别与供养方式（机构）",
                "reason_en": "Already on the ledger: review its category and placement",
                "flagged_on": on,
            }
        ]
        await session.flush()
        audit.record(
            session, ctx, "protection_intake.link_child", "protection_intake", intake.id,
            {"child_id": str(existing.id)},
        )  # fmt: skip
        return
    child = await children.enrol_from_guardianship(
        session,
        ctx,
        name=intake.child_name,
        id_number=number,
        category=ledger_category(intake.long_term_basis),
        approved_on=intake.discharged_on,
        origin_id=intake.id,
    )
    intake.enrolment, intake.child_id, intake.enrolment_flags = "enrolled", child.id, []
    await session.flush()
