from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

AreaLevel = Literal["city", "district", "town", "village"]


class AreaOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["110115001001"])
    name: str = Field(examples=["示范村"])
    level: AreaLevel
    parent_code: str | None = Field(examples=["110115001"])


class AreaImportResult(BaseModel):
    total_rows: int
    inserted: int
    updated: int
    unchanged: int
