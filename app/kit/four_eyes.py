"""四眼原则 — four eyes on money.

Whoever prepares a payment (files a medical claim, runs a payroll, a grant or holiday run, draws
up a placement plan) may not approve it, and whoever approves it may not record it as paid. The
records keep the people (`created_by`, `approved_by` / `decided_by`, `paid_by`) and each step's
audit entry names its actor, so the audit log shows the three.

On by default in every environment, development and demo included; `FOUR_EYES=0` turns it off
for an installation run by one person (the steps are still recorded with their actors).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Request

from app.auth.principal import Principal
from app.errors import Forbidden


class FourEyesRequired(Forbidden):
    code = "four_eyes_required"
    title_zh = "须由另一人办理（四眼原则）"
    title_en = "Another person must do this (four-eyes rule)"


_STEP = {
    "approve": (
        "您创建了{what}，须由另一人审批",
        "You created {what}; another person must approve it",
    ),
    "pay": (
        "您审批了{what}，须由另一人登记支付",
        "You approved {what}; another person must record the payment",
    ),
}


def require_another(
    enabled: bool,
    principal: Principal,
    earlier: str | None,
    step: Literal["approve", "pay"],
    what_zh: str,
    what_en: str,
) -> None:
    """403 `four_eyes_required` when `principal` did the earlier step (`earlier` is its actor's
    name: the creator for "approve", the approver for "pay")."""
    if not enabled or earlier is None or earlier != principal.name:
        return
    zh, en = _STEP[step]
    raise FourEyesRequired(
        zh.format(what=what_zh), en.format(what=what_en), extra={"step": step, "earlier": earlier}
    )


async def four_eyes_enabled(request: Request) -> bool:
    return bool(request.app.state.settings.four_eyes)


FourEyes = Annotated[bool, Depends(four_eyes_enabled)]
"""Whether the four-eyes rule is on (the FOUR_EYES setting)."""
