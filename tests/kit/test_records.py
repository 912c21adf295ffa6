"""The shared record helpers (app/kit/records.py, app/kit/listing.py, app/kit/agency.py) and
`not_negative` (app/kit/money.py): what the domains that use them answer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from app.auth.principal import Principal
from app.auth.roles import DISTRICT, Role
from app.errors import Forbidden, NotFound
from app.kit.agency import agency_client, staff_or
from app.kit.listing import in_year, where_given
from app.kit.money import Money, not_negative
from app.kit.records import again, known, out_of
from app.models import TrainingSession

DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class ThingOut(BaseModel):
    id: uuid.UUID
    title: str
    amount: Decimal
    note: str | None = None


@dataclass
class ThingRow:
    id: uuid.UUID
    title: str
    amount_fen: int
    secret: str


def test_out_of_reads_same_named_attributes_and_takes_the_rest_as_given() -> None:
    row = ThingRow(id=uuid.uuid4(), title="书包", amount_fen=1250, secret="x")
    out = out_of(ThingOut, row, amount=Decimal(row.amount_fen) / 100)
    assert out == ThingOut(id=row.id, title="书包", amount=Decimal("12.50"))


def test_out_of_lets_a_keyword_override_a_column() -> None:
    row = ThingRow(id=uuid.uuid4(), title="internal", amount_fen=0, secret="x")
    assert out_of(ThingOut, row, amount=Decimal(0), title="shown").title == "shown"


def test_out_of_still_validates_a_missing_field() -> None:
    with pytest.raises(ValidationError):
        out_of(ThingOut, object())


class ThingNotFound(NotFound):
    code = "thing_not_found"


def test_known_answers_the_value_or_the_domains_own_404() -> None:
    assert known(0, ThingNotFound) == 0
    with pytest.raises(ThingNotFound) as raised:
        known(None, ThingNotFound)
    assert raised.value.status == 404
    assert raised.value.code == "thing_not_found"


def test_again_answers_200_with_the_same_body_for_a_record_already_there() -> None:
    out = ThingOut(id=uuid.uuid4(), title="t", amount=Decimal("1.00"))
    assert again(True, out) is out
    replay = again(False, out)
    assert not isinstance(replay, ThingOut)
    assert replay.status_code == 200
    assert replay.body == out.model_dump_json().encode()


def _sql(stmt: Select[Any]) -> str:
    return str(stmt.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True}))


def test_where_given_applies_only_the_filters_given() -> None:
    base = select(TrainingSession.id)
    assert _sql(where_given(base, (TrainingSession.level, None))) == _sql(base)
    sql = _sql(
        where_given(base, (TrainingSession.level, "town"), (TrainingSession.area_code, None))
    )
    assert "training_sessions.level = 'town'" in sql
    assert "area_code" not in sql.split("WHERE", 1)[1]


def test_in_year_is_the_calendar_year_inclusive() -> None:
    sql = _sql(select(TrainingSession.id).where(in_year(TrainingSession.held_on, 2026)))
    assert "BETWEEN '2026-01-01' AND '2026-12-31'" in sql
    assert date(2026, 12, 31).isoformat() in sql


def _agency(agency: str, scopes: list[str]) -> Principal:
    return Principal(
        kind="agency", id=uuid.uuid4(), name=agency, agency=agency, scopes=frozenset(scopes)
    )


def test_agency_client_needs_both_the_agency_and_the_scope() -> None:
    is_charity = agency_client("charity", "charity:write")
    assert is_charity(_agency("charity", ["charity:write"]))
    assert not is_charity(_agency("charity", ["referrals:read"]))
    assert not is_charity(_agency("police", ["charity:write"]))


async def test_staff_or_admits_the_roles_and_the_agency_and_refuses_the_rest() -> None:
    guard = staff_or(
        DISTRICT, agency_client("charity", "charity:write"), "不可", "No", {"allowed": ["x"]}
    )
    leader = Principal(kind="user", id=uuid.uuid4(), name="l", role=Role.DISTRICT_LEADER)
    client = _agency("charity", ["charity:write"])
    assert await guard(leader) is leader
    assert await guard(client) is client
    director = Principal(kind="user", id=uuid.uuid4(), name="d", role=Role.VILLAGE_DIRECTOR)
    with pytest.raises(Forbidden) as refused:
        await guard(director)
    assert refused.value.extra == {"allowed": ["x"]}
    assert refused.value.detail_en == "No"


class Budget(BaseModel):
    amount: Annotated[Money, not_negative("预算不能为负数", "The budget cannot be negative")]


def test_not_negative_allows_zero_and_refuses_a_negative_amount_with_its_wording() -> None:
    assert Budget(amount="0.00").amount == Decimal("0.00")
    with pytest.raises(ValidationError) as refused:
        Budget(amount="-0.01")
    (error,) = refused.value.errors()
    assert error["loc"] == ("amount",)
    assert "预算不能为负数|The budget cannot be negative" in error["msg"]
