"""Request and response bodies of the holiday gifts (节日礼品)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.kit.crud import Cursor, Limit
from app.kit.money import Money, not_negative
from app.kit.params import AreaField, YearField
from app.kit.types import Date
from app.subsidies.rules import Occasion


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GiftsCreate(_Body):
    """A gift in kind to the children of a holiday run: every child of the run's lines, or those
    named in `child_ids`. Retry-safe: a child who already has this item keeps it."""

    occasion: Occasion
    year: int = Field(ge=2000, le=2100)
    item: str = Field(min_length=1, max_length=100, examples=["书包文具套装"])
    value: Annotated[Money, not_negative("礼品价值不能为负数", "The value cannot be negative")] = (
        Field(description="The value of one gift (decimal string).")
    )
    child_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=5000)


class GiftsOut(BaseModel):
    run_id: uuid.UUID
    occasion: Occasion
    year: int
    item: str
    value: Money
    children: int = Field(description="Children of the run with this item.")
    created: int = Field(description="Gifts recorded by this call (0 on a retry).")
    total_value: Money = Field(description="The value of this item for all its children.")


class DeliveryIn(_Body):
    delivered_on: Date
    received_by: str | None = Field(default=None, max_length=100, examples=["奶奶"])
    note: str | None = Field(default=None, max_length=2000)


class GiftOut(BaseModel):
    id: uuid.UUID
    run_id: uuid.UUID
    occasion: str
    year: int
    child_id: uuid.UUID
    child_name: str
    village_code: str | None
    town_code: str | None
    item: str
    value: Money
    delivered: bool
    delivered_on: date | None
    received_by: str | None
    delivery_note: str | None
    delivered_at: datetime | None
    delivered_by: str | None


class GiftQuery(BaseModel):
    occasion: Occasion | None = None
    year: YearField = None
    delivered: bool | None = None
    village_code: AreaField = None
    limit: Limit = 50
    cursor: Cursor = None
