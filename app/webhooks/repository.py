"""SQL of the webhook outbox: clients with webhooks, deliveries, attempts, retry jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.listing import where_given
from app.kit.sql import table_of
from app.models import AgencyClient, Area, Job, WebhookAttempt, WebhookDelivery

DELIVER_JOB = "webhooks.deliver"
# A delivery job retries its own failures (a crash, a lost lease); the delivery has its policy.
DELIVER_JOB_ATTEMPTS = 5


_CLIENT_IDS_WITH_WEBHOOK = select(AgencyClient.id).where(
    AgencyClient.agency == bindparam("agency"),
    AgencyClient.is_active.is_(True),
    AgencyClient.webhook_url.is_not(None),
    AgencyClient.webhook_secret_enc.is_not(None),
)
# The clients whose area covers the record's area: the city's (a municipal agency) and the
# record's district's, never another district's.
_RECORD_PATH = select(Area.path).where(Area.code == bindparam("area_code")).scalar_subquery()
_COVERING_CLIENT_IDS = _CLIENT_IDS_WITH_WEBHOOK.join(
    Area, Area.code == AgencyClient.area_code
).where(_RECORD_PATH.startswith(Area.path))


# A record of no known area belongs to no district: only the clients at the root of the tree
# (the city's; in a deployment without a city, the one district's) may receive it.
_ROOT_CLIENT_IDS = _CLIENT_IDS_WITH_WEBHOOK.join(Area, Area.code == AgencyClient.area_code).where(
    Area.parent_code.is_(None)
)


async def client_ids_with_webhook(
    session: AsyncSession, agency: str, area_code: str | None = None
) -> list[uuid.UUID]:
    """The active clients of `agency` with a webhook whose area covers `area_code` (the city's
    and that district's; only the root's, the city's, when the record's area is unknown: no
    district's client receives a record it cannot place in its district). Built once."""
    if area_code is None:
        stmt = _ROOT_CLIENT_IDS
        return list((await session.execute(stmt, {"agency": agency})).scalars())
    params = {"agency": agency, "area_code": area_code}
    return list((await session.execute(_COVERING_CLIENT_IDS, params)).scalars())


# Built once (run for every delivery attempt): SQLAlchemy keeps it compiled.
_LOCK_DELIVERY = (
    select(WebhookDelivery, AgencyClient)
    .join(AgencyClient, AgencyClient.id == WebhookDelivery.agency_client_id)
    .where(WebhookDelivery.id == bindparam("delivery_id"))
    .with_for_update(of=WebhookDelivery, skip_locked=True)
)


async def lock_delivery(
    session: AsyncSession, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, AgencyClient] | None:
    """The delivery and its client, row-locked; None when another worker is sending it now."""
    row = (await session.execute(_LOCK_DELIVERY, {"delivery_id": delivery_id})).first()
    return None if row is None else (row[0], row[1])


async def get_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, district_code: str | None = None
) -> WebhookDelivery | None:
    """A delivery (to a client of `district_code`, when given)."""
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, to_district(district_code)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def schedule_attempt(
    session: AsyncSession, delivery_id: uuid.UUID, delay_seconds: float
) -> datetime:
    """Queue the next attempt `delay_seconds` from now (database time, the queue's clock)."""
    run_at = (
        await session.execute(
            text("SELECT now() + make_interval(secs => :d)"), {"d": max(delay_seconds, 0.0)}
        )
    ).scalar_one()
    await session.execute(
        insert(table_of(Job)).values(
            kind=DELIVER_JOB,
            payload={"delivery_id": str(delivery_id)},
            run_at=run_at,
            max_attempts=DELIVER_JOB_ATTEMPTS,
        )
    )
    return run_at  # type: ignore[no-any-return]


# The attempt and the delivery's new state in one statement (one round trip per attempt).
_RECORD_ATTEMPT = text(
    """
    WITH attempt AS (
        INSERT INTO webhook_attempts
            (delivery_id, attempt, at, url, status_code, error, duration_ms, worker_id)
        VALUES (:id, :attempt, :at, :url, :status_code, :error, :duration_ms, :worker_id)
    )
    UPDATE webhook_deliveries
       SET attempts = :attempt, last_status_code = :status_code, last_error = :error,
           status = :status, delivered_at = :delivered_at, next_attempt_at = :next_attempt_at,
           updated_at = now()
     WHERE id = :id
    """
)


async def record_attempt(session: AsyncSession, delivery_id: uuid.UUID, **values: Any) -> None:
    """Log attempt `values["attempt"]` and set the delivery's status, answer and next attempt."""
    await session.execute(_RECORD_ATTEMPT, {"id": delivery_id, **values})


async def attempts_of(session: AsyncSession, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.attempt, WebhookAttempt.id)
    )
    return list((await session.execute(stmt)).scalars().all())


def to_district(district_code: str | None) -> Any:
    """The deliveries to a district's clients (None: every delivery, the city's offices)."""
    if district_code is None:
        return WebhookDelivery.id.is_not(None)
    return WebhookDelivery.agency_client_id.in_(
        select(AgencyClient.id).where(AgencyClient.area_code == district_code)
    )


def list_deliveries_stmt(
    status: str | None,
    agency_client_id: uuid.UUID | None,
    referral_id: uuid.UUID | None,
    district_code: str | None = None,
) -> Select[Any]:
    stmt = select(WebhookDelivery).where(to_district(district_code))
    stmt = where_given(
        stmt,
        (WebhookDelivery.status, status),
        (WebhookDelivery.agency_client_id, agency_client_id),
        (WebhookDelivery.referral_id, referral_id),
    )
    return stmt
