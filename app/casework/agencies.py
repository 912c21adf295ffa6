"""Contracted agencies 签约社工机构 and contract monitoring 合同监管: a month's hours against the
hours bought, cases open, reviews overdue, and the invoice amount (`rules.month_invoice`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.casework import repository as repo
from app.casework import rules
from app.casework.errors import AgencyNotFound
from app.casework.schemas import AgencyCreate, AgencyMonthOut, AgencyOut
from app.errors import Conflict
from app.kit import audit
from app.kit.context import RequestContext
from app.kit.glossary import zh_map
from app.kit.money import from_fen, to_fen
from app.kit.pagination import Page, page_of
from app.kit.records import known, out_of
from app.kit.spreadsheet import Column, Kind, OfficeSheet, book_bytes, office_book, title_line
from app.kit.vocab import format_month, month_end, parse_month
from app.models import CaseworkAgency

MODE_ZH = zh_map("service_mode")
SERVICE_COLUMNS = ("序号", "服务日期", "儿童", "方式", "分钟", "个案编号")
SERVICE_KINDS: tuple[Kind, ...] = ("int", "date", "text", "text", "int", "code")


def agency_out(agency: CaseworkAgency) -> AgencyOut:
    return out_of(AgencyOut, agency, hourly_rate=from_fen(agency.hourly_rate_fen))


async def create_agency(
    session: AsyncSession, ctx: RequestContext, body: AgencyCreate
) -> AgencyOut:
    """Contract an agency (name, period, hours bought, hourly rate in exact fen)."""
    agency = CaseworkAgency(
        id=uuid.uuid4(),
        **body.model_dump(exclude={"hourly_rate"}),
        hourly_rate_fen=to_fen(body.hourly_rate),
        created_by=ctx.actor.name,
        district_code=ctx.actor.district_code or ctx.settings.district_code,
        version=1,
    )
    if not await repo.insert_agency(session, agency):
        raise Conflict(
            "同名签约机构已存在", "An agency of this name exists", extra={"field": "name"}
        )
    audit.record(
        session, ctx, "casework_agency.create", "casework_agency", agency.id, {"name": body.name}
    )
    return agency_out(agency)


async def list_agencies(
    session: AsyncSession, ctx: RequestContext, *, limit: int, cursor: str | None
) -> Page[AgencyOut]:
    keys = [CaseworkAgency.created_at, CaseworkAgency.id]
    return await page_of(session, repo.agencies_stmt(ctx.actor), keys, limit, cursor, agency_out)


async def get_agency(
    session: AsyncSession, ctx: RequestContext, agency_id: uuid.UUID
) -> CaseworkAgency:
    return known(await repo.get_agency(session, ctx.actor, agency_id), AgencyNotFound)


async def month_figures(
    session: AsyncSession, ctx: RequestContext, agency_id: uuid.UUID, month: str
) -> AgencyMonthOut:
    """The agency's month against its contract; the invoice counts only the services inside
    the contract period (a service outside it cannot be recorded)."""
    agency = await get_agency(session, ctx, agency_id)
    first = parse_month(month)
    last = month_end(first)
    minutes, services = await repo.minutes_between(session, agency.id, first, last)
    before = 0
    if first > agency.contract_from:
        before, _ = await repo.minutes_between(
            session, agency.id, agency.contract_from, first - timedelta(days=1)
        )
    invoice = rules.month_invoice(
        minutes_in_month=minutes,
        minutes_before=before,
        hours_bought=agency.hours_bought,
        hourly_rate_fen=agency.hourly_rate_fen,
    )
    remaining = max(0, agency.hours_bought * 60 - before - invoice.minutes_billable)
    on = min(last, ctx.today)
    audit.record(
        session,
        ctx,
        "casework_month.read",
        "casework_agency",
        agency.id,
        {"month": format_month(first)},
    )
    return AgencyMonthOut(
        agency_id=agency.id,
        agency_name=agency.name,
        month=format_month(first),
        contract_from=agency.contract_from,
        contract_to=agency.contract_to,
        hours_bought=agency.hours_bought,
        hourly_rate=from_fen(agency.hourly_rate_fen),
        minutes_delivered=minutes,
        hours_delivered=str(rules.hours(minutes)),
        hours_delivered_before=str(rules.hours(before)),
        hours_remaining=str(rules.hours(remaining)),
        hours_billable=str(rules.hours(invoice.minutes_billable)),
        hours_over_contract=str(rules.hours(invoice.minutes_over_contract)),
        invoice_amount=invoice.invoice_amount,
        services=services,
        cases_open=await repo.cases_open_in(session, agency.id, first, last),
        reviews_overdue=await repo.reviews_overdue(session, agency.id, on),
    )


async def export_month(
    session: AsyncSession, ctx: RequestContext, agency_id: uuid.UUID, month: str
) -> bytes:
    """The month as .xlsx: the figures, then every service record (Chinese headers)."""
    figures = await month_figures(session, ctx, agency_id, month)
    first = parse_month(month)
    rows = await repo.services_in(session, agency_id, first, month_end(first))
    book = office_book()
    sheet = OfficeSheet(
        book,
        f"{figures.month} 服务结算",
        (Column("项目", width=20), Column("数值", width=24)),
        widths=(20, 24, 14, 12, 8, 38),
        title=title_line(
            f"{figures.agency_name} 精准帮扶服务结算表",
            district=await district_name(session, ctx.actor.district_code),
            period=figures.month,
            generated_at=ctx.now,
        ),
    )
    figure_rows: tuple[tuple[str, object, Kind], ...] = (
        ("合同期", f"{figures.contract_from} 至 {figures.contract_to}", "text"),
        ("购买服务时数", figures.hours_bought, "int"),
        ("小时单价（元）", figures.hourly_rate, "money"),
        ("本月服务时数", figures.hours_delivered, "text"),
        ("此前累计时数", figures.hours_delivered_before, "text"),
        ("本月可结算时数", figures.hours_billable, "text"),
        ("超出合同时数", figures.hours_over_contract, "text"),
        ("本月结算金额（元）", figures.invoice_amount, "money"),
        ("在案个案数", figures.cases_open, "int"),
        ("回顾逾期个案数", figures.reviews_overdue, "int"),
    )
    for label, value, kind in figure_rows:
        sheet.row([label, value], kinds=("text", kind))
    sheet.blank()
    # The month's service records below the figures, under their own bold header.
    sheet.row(list(SERVICE_COLUMNS), bold=True)
    for number, (service, child_name) in enumerate(rows, start=1):
        sheet.row(
            [
                number,
                service.served_on,
                child_name,
                MODE_ZH.get(service.mode, service.mode),
                service.minutes,
                str(service.case_id),
            ],
            kinds=SERVICE_KINDS,
        )
    content = book_bytes(book)
    audit.record(
        session, ctx, "casework_month.export", "casework_agency", agency_id, {"month": month}
    )
    return content
