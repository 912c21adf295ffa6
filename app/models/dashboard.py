"""运营看板: pre-aggregated dashboard sections (the expensive ones), refreshed by a periodic job."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class DashboardSectionCache(Base):
    """One computed dashboard section for one area and month, with when it was computed.

    Sections that read large tables (a million screening records) are served from here; the
    `dashboard.refresh` job recomputes the rows that were read recently, so a request never
    scans the raw rows unless the row is missing or too old (the worker is not running).
    """

    __tablename__ = "dashboard_section_cache"

    section: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    area_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    read_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
