"""Staff accounts (users) and partner-agency clients."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as areas
from app.auth import repository as auth_repo
from app.auth.passwords import hash_password_async
from app.auth.principal import Principal
from app.auth.roles import CITY_ROLES, CONTRACTED, Role
from app.errors import Conflict, Forbidden, ValidationFailed, found
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.etag import check_if_match
from app.kit.glossary import zh_map
from app.kit.pagination import Page, page_of
from app.kit.record_check import RecordCheck, check_fields, reject_future
from app.kit.secrets import hash_client_secret, new_client_id, new_client_secret
from app.models import AgencyClient, CaseworkAgency, User
from app.users import repository as repo
from app.users.schemas import (
    AgencyClientCreate,
    AgencyClientOut,
    UserCreate,
    UserOut,
    UserPatch,
)

# Which level of area each role sits on.
ROLE_LEVEL: dict[str, str] = {
    Role.DISTRICT_ADMIN: "district",
    Role.DISTRICT_LEADER: "district",
    Role.AUDITOR: "district",
    Role.INSTITUTION_STAFF: "district",
    Role.TOWN_SUPERVISOR: "town",
    Role.VILLAGE_DIRECTOR: "village",
    Role.COUNSELLOR: "district",  # contracted by the district for the institute's residents
    Role.PROTECTION_STAFF: "district",  # the district's protection centre
    Role.CASE_WORKER: "district",  # contracted by the district; reach bound to their agency's cases
    Role.CITY_ADMIN: "city",  # 市民政局: the districts' accounts, city-wide parameters
    Role.CITY_VIEWER: "city",  # every district's aggregates
}
LEVEL_ZH = zh_map("area_level")


async def _check_role_area(
    session: AsyncSession, actor: Principal, role: str, area_code: str
) -> None:
    """The role sits on an area of its level, within the actor's reach: a district's admin
    places accounts in its own district only (an area elsewhere does not exist for it), and
    only the city's admin makes the city's accounts."""
    if role in CITY_ROLES and not actor.has_role(Role.CITY_ADMIN):
        raise Forbidden("市级账户由市级管理员创建", "City accounts are made by the city admin")
    area = await areas.get(session, area_code)
    if area is None or not await areas.in_reach(session, actor, area_code):
        raise ValidationFailed(errors=[("area_code", "区划不存在", "Unknown area")])
    wanted = ROLE_LEVEL[role]
    if area.level != wanted:
        raise ValidationFailed(
            errors=[
                (
                    "area_code",
                    f"角色 {role} 须设在{LEVEL_ZH[wanted]}级区划上",
                    f"Role {role} must sit on a {wanted}",
                )
            ]
        )


async def _check_agency(session: AsyncSession, role: str, agency_id: uuid.UUID | None) -> None:
    """A case worker works for one contracted agency (精准帮扶); no other role has one."""
    if role == Role.CASE_WORKER:
        if agency_id is None:
            raise ValidationFailed(
                errors=[("agency_id", "社工须绑定签约机构", "A case worker needs an agency_id")]
            )
        if await session.get(CaseworkAgency, agency_id) is None:
            raise ValidationFailed(
                errors=[("agency_id", "签约机构不存在", "No such casework agency")]
            )
    elif agency_id is not None:
        raise ValidationFailed(
            errors=[("agency_id", "只有社工绑定签约机构", "Only a case worker has an agency")]
        )


def user_out(user: User, ctx: RequestContext) -> UserOut:
    """A staff account as the API shows it, with its art. 62 record check's standing today."""
    out = UserOut.model_validate(user)
    check = RecordCheck.from_columns(user)
    if check is None and user.role not in CONTRACTED:
        return out
    checked = check_fields(user, ctx.today, ctx.settings.record_check_valid_months)
    return out.model_copy(update=checked)


def _check_record_check(role: str, check: RecordCheck | None, ctx: RequestContext) -> None:
    """A contracted professional (counsellor, case worker) is created with the art. 62 record
    query (未成年人保护法第六十二条): missing → 422. Its result is stored as given: one that does
    not allow the person to work with children refuses their sessions (409), not the account."""
    if check is None:
        if role in CONTRACTED:
            raise ValidationFailed(
                errors=[
                    (
                        "record_check",
                        "签约专业人员须登记违法犯罪记录查询结果（未成年人保护法第六十二条）",
                        "A contracted professional needs the art. 62 record check",
                    )
                ]
            )
        return
    reject_future(check, ctx.today)


async def create_user(session: AsyncSession, ctx: RequestContext, data: UserCreate) -> User:
    """Create a staff account; a director sits on a village, a supervisor on a town; a
    contracted professional carries the art. 62 record query."""
    actor = ctx.actor
    await _check_role_area(session, actor, data.role, data.area_code)
    await _check_agency(session, data.role, data.agency_id)
    _check_record_check(data.role, data.record_check, ctx)
    if await repo.username_taken(session, data.username):
        raise Conflict("用户名已存在", "The username is taken", extra={"field": "username"})
    user = User(
        id=uuid.uuid4(),
        username=data.username,
        password_hash=await hash_password_async(data.password.get_secret_value()),
        full_name=data.full_name,
        role=data.role,
        area_code=data.area_code,
        phone=data.phone,
        **(data.record_check.columns() if data.record_check else {}),
        agency_id=data.agency_id,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise Conflict(
            "用户名已存在", "The username is taken", extra={"field": "username"}
        ) from None
    audit.record(session, actor, "user.create", "user", user.id, {"role": user.role})
    return user


async def get_user(session: AsyncSession, principal: Principal, user_id: uuid.UUID) -> User:
    """An account within the caller's reach (another district's account is a 404)."""
    return found(await repo.get_user(session, principal, user_id), "用户不存在", "No such user")


async def update_user(
    session: AsyncSession,
    ctx: RequestContext,
    user_id: uuid.UUID,
    patch: UserPatch,
    if_match: str | None,
) -> User:
    actor, now = ctx.actor, ctx.now
    user = await get_user(session, actor, user_id)
    check_if_match(if_match, user.version)
    fields = patch.model_dump(exclude_unset=True)
    role = fields.get("role") or user.role
    area_code = fields.get("area_code") or user.area_code
    if user.role in CITY_ROLES and not actor.has_role(Role.CITY_ADMIN):
        raise Forbidden("市级账户由市级管理员管理", "City accounts are managed by the city admin")
    if "role" in fields or "area_code" in fields:
        await _check_role_area(session, actor, role, area_code)
    if "role" in fields or "agency_id" in fields:
        keep = user.agency_id if role == Role.CASE_WORKER else None
        fields["agency_id"] = fields.get("agency_id", keep)
        await _check_agency(session, role, fields["agency_id"])
    check = patch.record_check or RecordCheck.from_columns(user)
    if patch.record_check is not None or "role" in fields:
        _check_record_check(role, check, ctx)
    changed: list[str] = []
    for name in ("full_name", "phone", "role", "area_code", "agency_id"):
        if name in fields and getattr(user, name) != fields[name]:
            setattr(user, name, fields[name])
            changed.append(name)
    if patch.record_check is not None:
        for column, value in patch.record_check.columns().items():
            setattr(user, column, value)
        changed.append("record_check")
    if patch.password is not None:
        user.password_hash = await hash_password_async(patch.password.get_secret_value())
        await auth_repo.revoke_user_tokens(session, user.id, now)
        changed.append("password")
    if changed:
        await session.flush()
        # updated_at is set by the database (onupdate): load it now, not lazily in the response.
        await session.refresh(user, ["updated_at"])
    audit.record(session, actor, "user.update", "user", user.id, {"fields": changed})
    return user


async def deactivate_user(
    session: AsyncSession, actor: Principal, user_id: uuid.UUID, now: datetime
) -> User:
    user = await get_user(session, actor, user_id)
    if user.role in CITY_ROLES and not actor.has_role(Role.CITY_ADMIN):
        raise Forbidden("市级账户由市级管理员管理", "City accounts are managed by the city admin")
    if user.id == actor.id:
        raise Conflict("不能停用自己的账户", "You cannot deactivate your own account")
    if user.is_active:
        user.is_active = False
        await auth_repo.revoke_user_tokens(session, user.id, now)
        await session.flush()
        await session.refresh(user, ["updated_at"])
        audit.record(session, actor, "user.deactivate", "user", user.id)
    return user


async def create_agency_client(
    session: AsyncSession, actor: Principal, data: AgencyClientCreate
) -> tuple[AgencyClient, str]:
    """A partner agency's client; the secret is returned once and only its hash is kept.

    It serves an area: a district (a district's admin: its own; the default) or the city (the
    city's admin only: a municipal agency, every district's referrals)."""
    area_code = await _client_area(session, actor, data.area_code)
    secret = new_client_secret()
    client = AgencyClient(
        id=uuid.uuid4(),
        client_id=new_client_id(),
        name=data.name,
        agency=data.agency,
        area_code=area_code,
        scopes=sorted(set(data.scopes)),
        secret_hash=hash_client_secret(secret),
        webhook_url=data.webhook_url,
    )
    session.add(client)
    await session.flush()
    audit.record(
        session,
        actor,
        "agency_client.create",
        "agency_client",
        client.id,
        {"agency": client.agency, "area_code": client.area_code},
    )
    return client, secret


async def _client_area(session: AsyncSession, actor: Principal, area_code: str | None) -> str:
    """The area a new client serves: the one asked (a city or a district within the actor's
    reach), else the actor's district (the city's admin: the city)."""
    code = area_code or actor.district_code or actor.area_code
    area = await areas.get(session, code) if code else None
    if area is None or not await areas.in_reach(session, actor, area.code):
        raise ValidationFailed(errors=[("area_code", "区划不存在", "Unknown area")])
    if area.level not in ("city", "district"):
        raise ValidationFailed(
            errors=[
                (
                    "area_code",
                    "合作单位客户端须设在市级或区级区划上",
                    "A client serves the city or a district",
                )
            ]
        )
    return area.code


async def get_agency_client(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID
) -> AgencyClient:
    """A client of the caller's district (the city admin: any); elsewhere a 404."""
    return found(
        await repo.get_client(session, principal, client_id), "客户端不存在", "No such client"
    )


async def rotate_agency_secret(
    session: AsyncSession, actor: Principal, client_id: uuid.UUID
) -> tuple[AgencyClient, str]:
    client = await get_agency_client(session, actor, client_id)
    secret = new_client_secret()
    client.secret_hash = hash_client_secret(secret)
    await session.flush()
    audit.record(session, actor, "agency_client.rotate_secret", "agency_client", client.id)
    return client, secret


async def deactivate_agency_client(
    session: AsyncSession, actor: Principal, client_id: uuid.UUID
) -> AgencyClient:
    client = await get_agency_client(session, actor, client_id)
    if client.is_active:
        client.is_active = False
        await session.flush()
        audit.record(session, actor, "agency_client.deactivate", "agency_client", client.id)
    return client


async def list_users(
    session: AsyncSession,
    ctx: RequestContext,
    role: str | None,
    area_code: str | None,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[UserOut]:
    """Staff accounts of the caller's district (the city admin: every one), oldest first."""
    stmt = repo.list_users_stmt(ctx.actor, role, area_code, active)
    keys = [User.created_at, User.id]
    return await page_of(session, stmt, keys, limit, cursor, lambda u: user_out(u, ctx))


async def list_agency_clients(
    session: AsyncSession, principal: Principal, agency: str | None, limit: int, cursor: str | None
) -> Page[AgencyClientOut]:
    """Partner-agency clients of the caller's district (the city admin: every one)."""
    stmt = repo.list_clients_stmt(principal, agency)
    keys = [AgencyClient.created_at, AgencyClient.id]
    return await page_of(session, stmt, keys, limit, cursor, AgencyClientOut.model_validate)
