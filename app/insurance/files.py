"""The insurer's files: the submission file the bureau sends (参保报送名单, .xlsx) and the answer
file the insurer returns (承保结果), matched to the enrolments by the ID number's keyed hash.

Submission (rule we set): the enrolments `due` or `submitted` for the scheme and year, with the
full ID number (the insurer enrols by it) and the name, sex, birth date and town — nothing else
of the child's record; `due` rows become `submitted`. A second sheet lists the children whose
cover stops (enrolled the year before, not eligible this year): the insurer has their policy
number, so their ID number is masked.

Answer (rule we set): every row is checked first — ID number valid, known (an enrolment of
that scheme and year exists for it), once in the file, of the year and scheme imported, a known
result, a policy number when enrolled, a premium exact to the fen; any error rejects the whole
file (422, the rows named), nothing applied. A row that repeats what is recorded changes
nothing: a re-imported file is counted `unchanged` and bumps no version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.areas.repository import district_name
from app.children.projection import ID_CONTEXT
from app.children.repository import towns_of
from app.children.rules import birthday_at
from app.discovery.parsing import ParseError, read_rows
from app.errors import ValidationFailed
from app.insurance import repository as repo
from app.insurance.schemas import AnswerImportResult
from app.insurance.service import SCHEME_ZH, scheme_for
from app.insurance.worklist import REASON_ZH
from app.kit import audit, idnumber
from app.kit.context import RequestContext
from app.kit.money import Money, from_fen, to_fen
from app.kit.spreadsheet import Column, OfficeSheet, book_bytes, office_book, title_line
from app.kit.vocab import GENDER_ZH
from app.models import Child, InsuranceEnrolment

MAX_ROWS: Final = 50_000
MAX_ERRORS: Final = 200
SUBMISSION_COLUMNS: Final = (
    Column("序号", "int"),
    Column("姓名"),
    Column("身份证号", "id"),
    Column("性别"),
    Column("出生日期", "date"),
    Column("所属镇街"),
    Column("险种", width=16),
    Column("年度", "int"),
    Column("保费（元）", "money"),
    Column("报送类型", width=18),
    Column("上年保单号", "code", width=16),
)
STOP_COLUMNS: Final = (
    Column("序号", "int"),
    Column("姓名"),
    Column("身份证号（脱敏）", "id"),
    Column("上年保单号", "code", width=16),
    Column("停保原因", width=24),
)
INSTITUTE_ZH = "区儿童福利院"
# The answer file's columns: key → accepted headers (English first).
ANSWER_HEADERS: dict[str, tuple[str, ...]] = {
    "id_number": ("id_number", "身份证号"),
    "year": ("year", "年度"),
    "scheme": ("scheme", "险种"),
    "result": ("result", "结果", "承保结果"),
    "policy_number": ("policy_number", "保单号"),
    "premium": ("premium", "保费", "保费（元）"),
    "enrolled_on": ("enrolled_on", "参保日期"),
    "reason": ("reason", "原因", "拒保原因"),
}
REQUIRED = ("id_number", "year", "result")
RESULTS = {
    "enrolled": "enrolled",
    "参保成功": "enrolled",
    "已参保": "enrolled",
    "承保": "enrolled",
    "refused": "refused_by_insurer",
    "refused_by_insurer": "refused_by_insurer",
    "拒保": "refused_by_insurer",
    "不予承保": "refused_by_insurer",
}
_MONEY: TypeAdapter[Decimal] = TypeAdapter(Money)
Problem = tuple[int | None, str, str, str]  # (row, field, Chinese, English)


def _at(row: int | None, msg: str, *, en: bool = False) -> str:
    if row is None:
        return msg
    return f"Row {row}: {msg}" if en else f"第{row}行：{msg}"


def rows_invalid(errors: list[Problem]) -> ValidationFailed:
    """422 naming each (row, field) problem, with the rows in `extra` (as the imports do)."""
    errors = errors[:MAX_ERRORS]
    return ValidationFailed(
        "承保结果文件有误，未导入任何一行",
        "The answer file has errors: no row was applied",
        errors=[(f, _at(r, zh), _at(r, en, en=True)) for r, f, zh, en in errors],
        extra={"rows": [{"row": r, "field": f, "message": zh} for r, f, zh, _en in errors]},
    )


# ---------------------------------------------------------------------------- submission file


async def submission_file(
    session: AsyncSession, ctx: RequestContext, *, year: int, scheme: str
) -> bytes:
    """The insurer's submission file for `scheme` and `year`; `due` rows become `submitted`."""
    params = await scheme_for(session, scheme, year, ctx.today)
    rows = await repo.to_submit(session, ctx.actor, scheme, year)
    stopping = await repo.leaving(session, ctx.actor, scheme, year, params.categories)
    children = [c for _, c in rows] + [c for _, c in stopping]
    towns = await towns_of(session, {c.village_code for c in children if c.village_code})
    last_year = await repo.enrolments_of(session, [c.id for _, c in rows], scheme, year - 1)
    book = office_book()
    what = f"{year} 年度{SCHEME_ZH[scheme]}参保报送名单（困境儿童，区民政局代缴）"
    district = await district_name(session, ctx.actor.district_code)
    sheet = OfficeSheet(
        book,
        "参保名单",
        SUBMISSION_COLUMNS,
        title=title_line(what, district=district, period=f"{year} 年度", generated_at=ctx.now),
    )
    total = 0
    for n, (e, c) in enumerate(rows, start=1):
        if e.status == "due":
            e.status, e.submitted_at = "submitted", ctx.now
            e.updated_at, e.updated_by = ctx.now, ctx.actor.name
        if e.premium_fen is None:
            e.premium_fen = params.premium_fen
        total += e.premium_fen
        previous = last_year.get(c.id)
        sheet.row(
            [
                n,
                c.name,
                ctx.keyring.decrypt(c.id_number_enc, context=ID_CONTEXT),
                GENDER_ZH.get(c.gender, c.gender),
                c.birth_date,
                _town(c, towns),
                SCHEME_ZH[scheme],
                year,
                from_fen(e.premium_fen),
                REASON_ZH.get(e.due_reason or "new_child", ""),
                previous.policy_number if previous and previous.policy_number else "",
            ]
        )
    sheet.row(["合计", f"{len(rows)} 人", "", "", "", "", "", "", from_fen(total)], bold=True)
    stop = OfficeSheet(
        book,
        "停保名单",
        STOP_COLUMNS,
        title=title_line(
            f"{year} 年度{SCHEME_ZH[scheme]}停保名单",
            district=district,
            period=f"{year} 年度",
            generated_at=ctx.now,
        ),
    )
    for n, (e, c) in enumerate(stopping, start=1):
        stop.row([n, c.name, c.id_number_masked, e.policy_number or "", _why(c, year)])
    await session.flush()
    audit.record(
        session,
        ctx,
        "insurance.submission_export",
        "insurance_enrolment",
        None,
        {
            "scheme": scheme,
            "year": year,
            "count": len(rows),
            "stopping": len(stopping),
            "child_ids": [str(c.id) for _, c in rows],
        },
    )
    return book_bytes(book)


def _town(c: Child, towns: dict[str, tuple[str, str]]) -> str:
    if c.village_code is None:
        return INSTITUTE_ZH
    found = towns.get(c.village_code)
    return found[1] if found else c.village_code


def _why(c: Child, year: int) -> str:
    if c.status != "active":
        return "已退出台账"
    if birthday_at(c.birth_date, 18) <= date(year, 1, 1):
        return "已满18周岁"
    return "类别不在免费参保范围"


# -------------------------------------------------------------------------------- answer file


@dataclass
class AnswerRow:
    row: int
    id_hash: str
    status: str
    policy_number: str | None
    premium: Decimal | None
    enrolled_on: date | None
    reason: str | None


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip() for h in header]
    index = {
        key: names.index(h)
        for key, accepted in ANSWER_HEADERS.items()
        for h in accepted
        if h in names
    }
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        raise rows_invalid(
            [
                (1, k, f"缺少列 {k}（{ANSWER_HEADERS[k][1]}）", f"Missing column {k}")
                for k in missing
            ]
        )
    return index


def _scheme_of(value: str) -> str | None:
    for code, zh in SCHEME_ZH.items():
        if value in (code, zh):
            return code
    return None


def _parse(
    raw: bytes, ctx: RequestContext, *, year: int, scheme: str
) -> tuple[list[AnswerRow], list[Problem]]:
    """The answer file's rows, judged one by one: the rows to apply and every row's problems."""
    table = _table(raw)
    index = _columns(table[0])
    if len(table) < 2:
        raise rows_invalid([(None, "file", "文件没有数据行", "The file has no rows")])
    if len(table) - 1 > MAX_ROWS:
        raise rows_invalid([(None, "file", f"超过 {MAX_ROWS} 行", f"More than {MAX_ROWS} rows")])
    out: list[AnswerRow] = []
    errors: list[Problem] = []
    seen: dict[str, int] = {}
    for n, cells in enumerate(table[1:], start=2):

        def get(key: str, cells: list[str] = cells) -> str:
            i = index.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        row, problems = _judge_row(n, get, ctx, seen, year=year, scheme=scheme)
        errors += problems
        if row is not None:
            out.append(row)
    return out, errors


def _table(raw: bytes) -> list[list[str]]:
    """The file's cells (a header first); an unreadable or empty file is refused whole."""
    try:
        table = read_rows(raw)
    except ParseError as e:
        raise rows_invalid(e.errors) from None
    if not table:
        raise rows_invalid([(None, "file", "文件为空", "The file is empty")])
    return table


def _judge_row(
    n: int,
    get: Callable[[str], str],
    ctx: RequestContext,
    seen: dict[str, int],
    *,
    year: int,
    scheme: str,
) -> tuple[AnswerRow | None, list[Problem]]:
    """One row of the insurer's answer: the row to apply, or None and its problems."""
    problems: list[Problem] = []
    idn = _row_id_number(n, get("id_number"), ctx, seen, problems)
    if get("year") != str(year):
        problems.append((n, "year", f"年度不是 {year}", f"Not the year {year} being imported"))
    if get("scheme") and _scheme_of(get("scheme")) != scheme:
        problems.append((n, "scheme", f"险种不是{SCHEME_ZH[scheme]}", f"Not the scheme {scheme}"))
    status = RESULTS.get(get("result"))
    if status is None:
        problems.append(
            (n, "result", "结果应为“参保成功”或“拒保”", "Result must be enrolled or refused")
        )
    policy = get("policy_number") or None
    if status == "enrolled" and policy is None:
        problems.append(
            (n, "policy_number", "参保成功须有保单号", "Enrolled without a policy number")
        )
    if policy is not None and len(policy) > 64:
        problems.append((n, "policy_number", "保单号过长", "Policy number too long"))
    premium = _row_premium(n, get("premium"), problems)
    enrolled_on = _row_date(n, get("enrolled_on"), problems)
    if problems or status is None:
        return None, problems
    row = AnswerRow(
        row=n,
        id_hash=ctx.keyring.lookup_hash(idn),
        status=status,
        policy_number=policy,
        premium=premium,
        enrolled_on=enrolled_on,
        reason=get("reason") or None,
    )
    return row, problems


def _row_id_number(
    n: int, value: str, ctx: RequestContext, seen: dict[str, int], problems: list[Problem]
) -> str:
    try:
        idn = idnumber.parse(value, today=ctx.today).value
    except idnumber.InvalidIdNumber:
        problems.append((n, "id_number", "身份证号无效", "Invalid ID number"))
        return ""
    if idn in seen:
        problems.append(
            (n, "id_number", f"与第{seen[idn]}行重复", f"Same ID number as row {seen[idn]}")
        )
    else:
        seen[idn] = n
    return idn


def _row_premium(n: int, value: str, problems: list[Problem]) -> Decimal | None:
    if not value:
        return None
    try:
        premium = _MONEY.validate_python(value)
        if premium < 0:
            raise ValueError
    except (ValidationError, ValueError):
        problems.append(
            (n, "premium", "保费须为不超过两位小数的金额", "Premium must be exact to the fen")
        )
        return None
    return premium


def _row_date(n: int, value: str, problems: list[Problem]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        problems.append((n, "enrolled_on", "日期格式应为 YYYY-MM-DD", "Date must be YYYY-MM-DD"))
        return None


def _same(e: InsuranceEnrolment, a: AnswerRow) -> bool:
    """Whether the row repeats what the enrolment records (a re-import)."""
    if e.status != a.status:
        return False
    if a.status == "refused_by_insurer":
        return a.reason is None or a.reason == e.refusal_reason
    return (
        e.policy_number == a.policy_number
        and (a.premium is None or e.premium_fen == to_fen(a.premium))
        and (a.enrolled_on is None or e.enrolled_on == a.enrolled_on)
    )


async def import_answers(
    session: AsyncSession, ctx: RequestContext, raw: bytes, *, year: int, scheme: str
) -> AnswerImportResult:
    """Apply the insurer's answer file for `scheme` and `year`, all rows or none."""
    params = await scheme_for(session, scheme, year, ctx.today)
    answers, errors = _parse(raw, ctx, year=year, scheme=scheme)
    found = await repo.by_id_hash(session, ctx.actor, [a.id_hash for a in answers], scheme, year)
    for a in answers:
        match = found.get(a.id_hash)
        if match is None:
            errors.append(
                (
                    a.row,
                    "id_number",
                    f"未找到该身份证号 {year} 年度{SCHEME_ZH[scheme]}的参保记录",
                    f"No {scheme} enrolment for {year} with this ID number",
                )
            )
        elif match[0].status == "not_required":
            errors.append(
                (a.row, "result", "该儿童已登记为无需参保", "The child is recorded as not required")
            )
        elif match[0].status == "enrolled" and a.status == "refused_by_insurer":
            errors.append(
                (a.row, "result", "该儿童已参保，不能改为拒保", "The child is enrolled already")
            )
    if errors:
        raise rows_invalid(sorted(errors, key=lambda p: p[0] or 0))
    enrolled = refused = unchanged = 0
    for a in answers:
        e, _child = found[a.id_hash]
        if _same(e, a):
            unchanged += 1
            continue
        e.status = a.status
        e.answered_at = ctx.now
        e.updated_at, e.updated_by = ctx.now, ctx.actor.name
        if a.status == "enrolled":
            enrolled += 1
            e.policy_number = a.policy_number
            e.refusal_reason = None
            if a.premium is not None:
                e.premium_fen = to_fen(a.premium)
            elif e.premium_fen is None:
                e.premium_fen = params.premium_fen
            e.enrolled_on = a.enrolled_on or e.enrolled_on or ctx.today
        else:
            refused += 1
            e.refusal_reason = a.reason
    await session.flush()
    audit.record(
        session,
        ctx,
        "insurance.answer_import",
        "insurance_enrolment",
        None,
        {
            "scheme": scheme,
            "year": year,
            "rows": len(answers),
            "enrolled": enrolled,
            "refused": refused,
            "unchanged": unchanged,
        },
    )
    return AnswerImportResult.model_validate(
        {
            "year": year,
            "scheme": scheme,
            "rows": len(answers),
            "enrolled": enrolled,
            "refused": refused,
            "unchanged": unchanged,
        }
    )
