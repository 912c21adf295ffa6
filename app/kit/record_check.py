"""The art. 62 record check (未成年人保护法第六十二条) of a person who works with children.

"密切接触未成年人的单位招聘工作人员时，应当向公安机关、人民检察院查询应聘者是否具有性侵害、虐待、
拐卖、暴力伤害等违法犯罪记录；发现其具有前述行为记录的，不得录用。" (domain.md §9)

One schema and one rule for every such person — a volunteer tutor, a contracted counsellor, a
caring mother 爱心妈妈 — so that each domain stores the same three facts (`queried_on`, `result`,
`reference`) and refuses the same way: a person whose query is missing, older than
`RECORD_CHECK_VALID_MONTHS` (default 12), or not `clear` cannot be scheduled or paired, and the
409 problem+json `record_check_failed` says which of the three (`reason`: `missing`, `expired`,
`record_found`) and names the field.

A domain keeps the facts in three columns of its own table (`record_check_queried_on`,
`record_check_result`, `record_check_reference`): `RecordCheck.from_columns` / `.columns()`
convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.errors import Conflict, ValidationFailed

RecordCheckResult = Literal["clear", "record_found"]
RESULTS: Final = ("clear", "record_found")
RefusalReason = Literal["missing", "expired", "record_found"]

_REASON_TEXT: Final[dict[str, tuple[str, str]]] = {
    "missing": ("未查询违法犯罪记录", "no record check has been made"),
    "expired": ("违法犯罪记录查询已过有效期", "the record check is out of date"),
    "record_found": (
        "查询发现违法犯罪记录，不得安排接触未成年人",
        "the record check found a record",
    ),
}


class RecordCheck(BaseModel):
    """入职查询: the query of the police / procuratorate records and its answer."""

    model_config = ConfigDict(extra="forbid")

    queried_on: date = Field(description="The day the query was answered (查询日期).")
    result: RecordCheckResult = Field(
        description="`clear` 无相关记录 | `record_found` 有性侵害、虐待、拐卖、暴力伤害等记录"
    )
    reference: str = Field(
        min_length=1, max_length=100, description="The answer's reference number (查询回执编号)."
    )

    def columns(self) -> dict[str, Any]:
        """The three columns a domain's table stores."""
        return {
            "record_check_queried_on": self.queried_on,
            "record_check_result": self.result,
            "record_check_reference": self.reference,
        }

    @classmethod
    def from_columns(cls, row: Any) -> RecordCheck | None:
        if row.record_check_queried_on is None:
            return None
        return cls(
            queried_on=row.record_check_queried_on,
            result=row.record_check_result,
            reference=row.record_check_reference,
        )


def valid_until(queried_on: date, valid_months: int) -> date:
    """The last day a query made on `queried_on` holds (the same day `valid_months` later, or
    the month's last day when that day does not exist)."""
    month0 = queried_on.month - 1 + valid_months
    year, month = queried_on.year + month0 // 12, month0 % 12 + 1
    for day in (queried_on.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def refusal(check: RecordCheck | None, today: date, valid_months: int) -> RefusalReason | None:
    """Why the person may not work with children today, or None when they may."""
    if check is None:
        return "missing"
    if check.result != "clear":
        return "record_found"
    if check.queried_on > today:
        return "missing"  # a query dated in the future has not been made
    if today > valid_until(check.queried_on, valid_months):
        return "expired"
    return None


@dataclass(frozen=True)
class Standing:
    """A person's record check as a response shows it."""

    ok: bool
    reason: RefusalReason | None
    valid_until: date | None


def standing(check: RecordCheck | None, today: date, valid_months: int) -> Standing:
    reason = refusal(check, today, valid_months)
    until = valid_until(check.queried_on, valid_months) if check is not None else None
    return Standing(ok=reason is None, reason=reason, valid_until=until)


class RecordCheckFailed(Conflict):
    """409: the person cannot be scheduled or paired (art. 62). `reason` and `person_id` say
    which person and why; `errors` names the field that carried them."""

    code = "record_check_failed"
    title_zh = "违法犯罪记录查询未通过"
    title_en = "The record check does not allow it"

    def __init__(self, field: str, reason: RefusalReason, person_id: str | None = None) -> None:
        zh, en = _REASON_TEXT[reason]
        extra: dict[str, Any] = {"reason": reason}
        if person_id is not None:
            extra["person_id"] = person_id
        super().__init__(
            f"{zh}：不得安排其接触未成年人（未成年人保护法第六十二条）",
            f"{en}: the person may not work with children (Minors Protection Law art. 62)",
            errors=[(field, zh, en)],
            extra=extra,
        )


def require_clear(
    check: RecordCheck | None,
    today: date,
    valid_months: int,
    *,
    field: str,
    person_id: str | None = None,
) -> None:
    """Raise `RecordCheckFailed` (409) unless the check allows the person to work today."""
    reason = refusal(check, today, valid_months)
    if reason is not None:
        raise RecordCheckFailed(field, reason, person_id)


def reject_future(check: RecordCheck, today: date, field: str = "record_check.queried_on") -> None:
    """A query dated after today is a typing error: 422 on the field."""
    if check.queried_on > today:
        raise ValidationFailed(
            errors=[(field, "查询日期不能晚于今天", "The query date cannot be in the future")]
        )


class RecordCheckStanding(BaseModel):
    """What a response shows of a person's record check today: may they work with children."""

    ok: bool = Field(description="True when the person may be scheduled with children today.")
    reason: RefusalReason | None = Field(
        description="Why not: `missing`, `expired` or `record_found` (null when ok)."
    )
    valid_until: date | None = Field(description="The last day the query holds.")


def standing_out(check: RecordCheck | None, today: date, valid_months: int) -> RecordCheckStanding:
    """The standing of `check` on `today`, as a response shows it."""
    s = standing(check, today, valid_months)
    return RecordCheckStanding(ok=s.ok, reason=s.reason, valid_until=s.valid_until)


def check_fields(row: Any, today: date, valid_months: int) -> dict[str, Any]:
    """The `record_check` and `record_check_standing` of the answer about a person who works
    with children (a volunteer, a caring mother, a counsellor), read from the row's columns."""
    check = RecordCheck.from_columns(row)
    return {
        "record_check": check,
        "record_check_standing": standing_out(check, today, valid_months),
    }
