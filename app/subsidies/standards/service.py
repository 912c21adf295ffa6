"""补贴标准: append a standard, list them with the two-yearly review; the ParameterSet the
rules compute with, and the 422s of a rule's inputs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas_repo
from app.errors import ValidationFailed
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.pagination import paginate
from app.kit.vocab import format_month
from app.models import SubsidyStandard
from app.subsidies.errors import MonthAlreadyPaid, StandardExists
from app.subsidies.parameters import (
    KNOWN_PARAMETERS,
    ParameterError,
    ParameterNotInForce,
    ParameterSet,
    ParameterValue,
)
from app.subsidies.rules import RuleInputError
from app.subsidies.schemas import StandardCreate, StandardOut, StandardReviewOut, StandardsPage
from app.subsidies.standards import repository as repo
from app.subsidies.standards.review import StandardReview
from app.subsidies.standards.review import standard_review as review_of
from app.subsidies.standards.values import parameter_set, value_to_json


@contextmanager
def in_force(field: str) -> Iterator[None]:
    """Turn "no value in force on that date" into a 422 naming the field that chose the date."""
    try:
        yield
    except ParameterNotInForce as error:
        raise ValidationFailed(
            errors=[
                (
                    field,
                    f"参数 {error.key} 在 {error.on.isoformat()} 没有生效的取值",
                    f"No value of {error.key} is in force on {error.on.isoformat()}",
                )
            ]
        ) from None


async def load_parameters(session: AsyncSession, district_code: str | None = None) -> ParameterSet:
    """The ParameterSet of the subsidy_standards rows (seeded from parameters.yaml if empty):
    the city-wide values, with `district_code`'s dated overrides merged in.

    A district's override is in force from its date until the next value of the key, the
    city's or the district's: a later city-wide standard applies to the district again unless
    the district overrides that too. On the same date the district's value wins."""
    if not await repo.any_standard(session):
        await repo.ensure_seeded(session)
    rows = await repo.all_standards(session, district_code)
    chosen: dict[tuple[str, date], SubsidyStandard] = {}
    for row in rows:
        at = (row.key, row.effective_from)
        if at not in chosen or row.district_code is not None:
            chosen[at] = row
    return parameter_set(chosen.values())


def rule_error(error: RuleInputError, prefix: str = "") -> ValidationFailed:
    """A rule's refusal of its inputs as a 422 naming the field (`prefix` + the rule's field)."""
    return ValidationFailed(errors=[(prefix + error.field, error.message, str(error))])


async def list_standards(
    session: AsyncSession, ctx: RequestContext, key: str | None, limit: int, cursor: str | None
) -> StandardsPage:
    """The standards that apply to the caller (keyset pages): the city-wide values and its
    district's overrides (the city's roles: every district's), with the review of the
    living-allowance standard in force for the caller's district today."""
    actor = ctx.actor
    district = actor.district_code
    stmt = repo.list_standards_stmt(district, actor.is_city, key)
    rows, nxt = await paginate(session, stmt, [SubsidyStandard.id], limit=limit, cursor=cursor)
    review = await standard_review(session, ctx.today, district)
    return StandardsPage(
        items=[StandardOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=nxt,
        standard_review=StandardReviewOut.model_validate(review.to_json()),
    )


async def create_standard(
    session: AsyncSession, ctx: RequestContext, body: StandardCreate
) -> tuple[SubsidyStandard, list[str], list[str]]:
    """Append a standard. A value dated in a month already paid needs `retroactive`.

    The city's admin sets a city-wide value (every district's, unless overridden); a district's
    admin sets its own district's dated override (in a single district without a city, its
    values are the city-wide ones, as before)."""
    district = ctx.actor.district_code if await areas_repo.city_exists(session) else None
    try:
        value = ParameterValue.parse(
            body.key, body.value, body.effective_from, body.reference, body.note
        )
    except ParameterError as error:
        field = error.field if error.field in StandardCreate.model_fields else "value"
        raise ValidationFailed(errors=[(field, error.message, str(error))]) from None
    effective_month = date(value.effective_from.year, value.effective_from.month, 1)
    # A list of names (the serious-illness list) changes no amount: no month to adjust.
    pays = KNOWN_PARAMETERS[value.key] != "names"
    # paid by the district its override applies to; a city-wide value: by any district
    paid = (
        await repo.payroll_months_from(session, "approved", effective_month, district)
        if pays
        else []
    )
    if paid and not body.retroactive:
        raise MonthAlreadyPaid(
            f"{format_month(paid[-1])} 及以前的月份已审批发放；新取值自 "
            f"{value.effective_from.isoformat()} 起生效，须设 retroactive: true 追溯调整",
            f"Months up to {format_month(paid[-1])} are paid; send retroactive: true to adjust them",
            extra={"paid_months": [format_month(m) for m in paid]},
        )
    row = await repo.insert_standard(
        session,
        {
            "key": value.key,
            "value": value_to_json(value.value),
            "effective_from": value.effective_from,
            "reference": value.reference,
            "note": value.note,
            "retroactive": bool(paid),
            "source": "api",
            "created_by": ctx.actor.name,
            "district_code": district,
        },
    )
    if row is None:
        raise StandardExists(
            f"参数 {value.key} 在 {value.effective_from.isoformat()} 已有取值；更正请使用新的生效日期",
            f"{value.key} already has a value from {value.effective_from.isoformat()}",
        )
    drafts = (
        await repo.payroll_months_from(session, "draft", effective_month, district) if pays else []
    )
    audit.record(
        session,
        ctx,
        "subsidy_standard.create",
        "subsidy_standard",
        row.id,
        {
            "key": row.key,
            "value": row.value,
            "effective_from": row.effective_from.isoformat(),
            "retroactive": row.retroactive,
            "district_code": row.district_code,
        },
    )
    return row, [format_month(m) for m in paid], [format_month(m) for m in drafts]


async def standard_review(
    session: AsyncSession, today: date, district_code: str | None = None
) -> StandardReview:
    """自然增长机制，每两年调整一次: whether the standard S in force is due for review."""
    return review_of(await load_parameters(session, district_code), today)
