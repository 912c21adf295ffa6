from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamps, check_one_of

AREA_LEVELS = ("city", "district", "town", "village")


class Area(Timestamps, Base):
    """行政区划: the (city →) district → town (镇街) → village (村居) tree, loaded from data.

    With CITY_CODE set, a city area is the root and every district hangs under it."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    level: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(
        sa.String(12), sa.ForeignKey("areas.code"), nullable=True, index=True
    )
    # Materialised path of codes, "110115/110115001/110115001001/" (with a city above:
    # "110100/110115/110115001/110115001001/"): jurisdiction is a prefix match.
    path: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    __table_args__ = (
        check_one_of("level", AREA_LEVELS),
        sa.Index("ix_areas_path_prefix", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )
