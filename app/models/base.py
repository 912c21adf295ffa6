"""The declarative Base (one metadata, one naming convention) and column helpers shared by
every model. Nothing here imports the rest of the application: the models depend on no other
module of it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: Iterable[str]) -> str:
    """The SQL of a CHECK that `column` holds one of `values`: `status IN ('a','b')`, so that a
    model's list of codes and its constraint are one list."""
    return f"{column} IN ({','.join(repr(v) for v in values)})"


def check_one_of(
    column: str, values: Iterable[str], *, nullable: bool = False
) -> sa.CheckConstraint:
    """The CHECK that `column` holds one of `values` (or is NULL, when `nullable`), named after
    the column: `ck_<table>_<column>`."""
    sql = one_of(column, values)
    return sa.CheckConstraint(f"{column} IS NULL OR {sql}" if nullable else sql, name=column)


def belongs_to(target: str) -> Mapped[uuid.UUID]:
    """The required, indexed UUID reference of a row to the one it belongs to
    (`target` is "table.column"): a referral's incident, a claim's child."""
    return mapped_column(sa.ForeignKey(target), nullable=False, index=True)


def refers_to(target: str) -> Mapped[Any]:
    """The required reference of a row to another (`target` is "table.column") with no index
    of its own, where `belongs_to` is the indexed one: a line's child, a stay's village."""
    return mapped_column(sa.ForeignKey(target), nullable=False)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def serial_pk() -> Mapped[int]:
    """A BIGINT identity primary key: the rows of a log, a queue or a history, in written order."""
    return mapped_column(sa.BigInteger, sa.Identity(always=False), primary_key=True)


def created_now() -> Mapped[datetime]:
    """The moment a row was written, set by the database (`now()`), never changed."""
    return mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def encrypted(*, nullable: bool = False, unique: bool | None = None) -> Mapped[Any]:
    """Bytes encrypted under the key ring (app.kit.crypto), or a keyed hash: an ID number, a
    data key, a webhook secret. Required unless `nullable`."""
    return mapped_column(sa.LargeBinary, nullable=nullable, unique=unique)


def updated_now() -> Mapped[datetime]:
    """The moment a row was last written: `now()` on insert and on every ORM UPDATE."""
    return mapped_column(
        sa.DateTime(timezone=True),
        server_default=sa.func.now(),
        onupdate=sa.func.now(),
        nullable=False,
    )


def area_ref() -> Mapped[str]:
    """The required, indexed reference of a row to the area it belongs to (`areas.code`): the
    `district_code` a caller's jurisdiction filters on (app.auth.jurisdiction), a user's area,
    a village."""
    return mapped_column(sa.String(12), sa.ForeignKey("areas.code"), nullable=False, index=True)


class Timestamps:
    created_at: Mapped[datetime] = created_now()
    updated_at: Mapped[datetime] = updated_now()


class StatusStep:
    """One move of a record's status, and when (a case's, an incident's history); the table
    adds its parent and who moved it."""

    from_status: Mapped[str | None] = mapped_column(sa.String(16))
    to_status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)


class Versioned:
    """A row version: the resource's ETag, bumped by every UPDATE (optimistic concurrency)."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)


class RecordCheckColumns:
    """The art. 62 record check of a person who works with children (app.kit.record_check):
    a volunteer, a counsellor, a caring mother. All three set, or none."""

    record_check_queried_on: Mapped[date | None] = mapped_column(sa.Date)
    record_check_result: Mapped[str | None] = mapped_column(sa.String(16))
    record_check_reference: Mapped[str | None] = mapped_column(sa.String(100))
