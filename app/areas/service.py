"""Area import: a CSV of code,name,level,parent_code; all rows valid or nothing applied.

In a city (a `city` area at the root, CITY_CODE) a district's row names the city as its
parent, and only the city's admin imports districts (and any district's tree); a district's
admin imports its own district's towns and villages: an area of another district does not
exist for it (404), a district row is not its to write (403)."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy.ext.asyncio import AsyncSession

from app.areas import repository as repo
from app.areas.schemas import AreaImportResult, AreaOut
from app.auth.principal import Principal
from app.auth.roles import Role
from app.errors import Forbidden, NotFound, ValidationFailed
from app.kit import audit
from app.kit.pagination import Page, page_of
from app.models import Area

COLUMNS = ("code", "name", "level", "parent_code")
PARENT_LEVEL = {"district": "city", "town": "district", "village": "town"}
_CODE = re.compile(r"^[0-9]{6,12}$")  # ASCII only: \d also matches "１" and "١"


def decode_csv(raw: bytes) -> str:
    if b"\x00" in raw:
        # PostgreSQL text cannot hold NUL (and no CSV of names needs it): refuse, not 500.
        raise ValidationFailed(
            errors=[("file", "文件含有空字符（NUL），不是文本CSV", "The file contains NUL bytes")]
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        errors=[("file", "文件编码无法识别（应为UTF-8或GB18030）", "Unknown encoding")]
    )


_Rows = dict[str, dict[str, str | None]]


def _row_error(line: int, field: str, zh: str, en: str) -> tuple[str, str, str]:
    """A problem of one row, as the (field, Chinese, English) triple ValidationFailed lists."""
    return (f"row {line}: {field}", f"第{line}行：{zh}", f"Row {line}: {en}")


async def import_csv(session: AsyncSession, principal: Principal, raw: bytes) -> AreaImportResult:
    """Validate every row, then upsert them all; a bad row names its row number, nothing applied."""
    header, lines = _read_table(raw)
    rows, row_numbers, errors = _check_rows(header, lines)
    if not rows and not errors:
        raise ValidationFailed(
            "文件没有数据行", "The file has no rows", errors=[("file", "文件没有数据行", "No rows")]
        )
    existing = await repo.get_many(
        session, [c for c in rows] + [r["parent_code"] for r in rows.values() if r["parent_code"]]
    )
    _check_reach(principal, rows, existing)
    errors += _check_against_tree(rows, row_numbers, existing, await repo.city_exists(session))
    if errors:
        raise ValidationFailed(
            "区划文件有错误，未导入任何数据",
            "The file has errors; nothing was imported",
            errors=errors,
        )
    to_write, inserted, updated, unchanged = _with_paths(rows, existing)
    await repo.upsert(session, to_write)
    audit.record(
        session, principal, "area.import", "area", None, {"inserted": inserted, "updated": updated}
    )
    return AreaImportResult(
        total_rows=len(rows), inserted=inserted, updated=updated, unchanged=unchanged
    )


def _read_table(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """The file's header (lower-cased, with every column of COLUMNS) and its data lines."""
    text = decode_csv(raw)
    try:  # newline="": csv splits the lines itself (a bare CR is a line end, not an error)
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValidationFailed(
            errors=[("file", f"CSV格式错误：{exc}", f"Malformed CSV: {exc}")]
        ) from None
    header = [h.strip().lower() for h in lines[0]] if lines else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            "CSV 缺少列：" + ", ".join(missing),
            "CSV is missing columns: " + ", ".join(missing),
            errors=[(c, "缺少该列", "Missing column") for c in missing],
        )
    return header, lines[1:]


def _check_rows(
    header: list[str], lines: list[list[str]]
) -> tuple[_Rows, dict[str, int], list[tuple[str, str, str]]]:
    """Each row checked on its own: the rows by code, their line numbers, the problems."""
    idx = {c: header.index(c) for c in COLUMNS}
    errors: list[tuple[str, str, str]] = []
    rows: _Rows = {}
    row_numbers: dict[str, int] = {}
    for line_no, cells in enumerate(lines, start=2):
        if not any(c.strip() for c in cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        code, name, level, parent = (cells[idx[c]].strip() for c in COLUMNS)

        def bad(field: str, zh: str, en: str, line: int = line_no) -> None:
            errors.append(_row_error(line, field, zh, en))

        if not _CODE.match(code):
            bad("code", "区划代码应为6至12位数字", "code must be 6 to 12 digits")
            continue
        if code in rows:
            bad("code", f"区划代码与第{row_numbers[code]}行重复", "duplicate code")
            continue
        if not name or len(name) > 100:
            bad("name", "名称不能为空且不超过100字", "name is required (at most 100 characters)")
        if level not in PARENT_LEVEL:
            bad(
                "level", "级别应为 district、town 或 village", "level must be district|town|village"
            )
            continue
        if level != "district" and not parent:
            bad("parent_code", "缺少上级区划代码", "parent_code is required")
        rows[code] = {"code": code, "name": name, "level": level, "parent_code": parent or None}
        row_numbers[code] = line_no
    return rows, row_numbers, errors


def _check_reach(principal: Principal, rows: _Rows, existing: dict[str, Area]) -> None:
    """A district's admin writes within its own district only: a district row is the city's
    (403); an existing area (a row's own, or its parent) of another district is not found."""
    if principal.role == Role.CITY_ADMIN:
        return
    district = principal.district_code
    if district is None:
        raise Forbidden("当前角色无权导入区划", "Your role may not import areas")
    if any(r["level"] == "district" and r["code"] != district for r in rows.values()):
        raise Forbidden("区级区划由市级管理员导入", "Districts are imported by the city admin")
    for code, area in sorted(existing.items()):
        if code != district and f"/{district}/" not in "/" + area.path:
            raise NotFound(f"区划 {code} 不存在", f"No such area {code}")


def _check_against_tree(
    rows: _Rows, row_numbers: dict[str, int], existing: dict[str, Area], in_city: bool
) -> list[tuple[str, str, str]]:
    """The rows judged against the areas already stored: parents that exist at the right
    level (a district's parent is the city, when there is one; without a city a district is
    the root), no existing area changing its level or its parent."""
    errors: list[tuple[str, str, str]] = []
    levels = {c: a.level for c, a in existing.items()} | {
        c: str(r["level"]) for c, r in rows.items()
    }
    for code, r in rows.items():
        line = row_numbers[code]
        parent_code = r["parent_code"]
        if r["level"] == "district" and not in_city and parent_code:
            errors.append(
                _row_error(line, "parent_code", "区级不应有上级", "a district has no parent")
            )
        elif r["level"] == "district" and in_city and not parent_code:
            errors.append(
                _row_error(
                    line,
                    "parent_code",
                    "区级须以所属市为上级",
                    "a district's parent_code is its city",
                )
            )
        elif parent_code:
            plevel = levels.get(parent_code)
            if plevel is None:
                errors.append(
                    _row_error(
                        line,
                        "parent_code",
                        f"上级区划 {parent_code} 不存在",
                        f"unknown parent {parent_code}",
                    )
                )
            elif plevel != PARENT_LEVEL[str(r["level"])]:
                errors.append(
                    _row_error(
                        line, "parent_code", "上级区划级别不符", "parent has the wrong level"
                    )
                )
        if code in existing and existing[code].level != r["level"]:
            errors.append(
                _row_error(line, "level", "不能更改已有区划的级别", "cannot change an area's level")
            )
        elif code in existing and existing[code].parent_code != parent_code:
            # Moving an area would change its path and every descendant's (and jurisdiction):
            # refuse it rather than report the row "unchanged" and ignore it.
            errors.append(
                _row_error(
                    line,
                    "parent_code",
                    f"不能更改已有区划的上级（现为 {existing[code].parent_code}）",
                    "cannot move an existing area to another parent",
                )
            )
    return errors


def _with_paths(
    rows: _Rows, existing: dict[str, Area]
) -> tuple[list[dict[str, str | None]], int, int, int]:
    """The rows to upsert, parents before children, each with its materialised path (its
    parent's and its code), and how many are inserted, updated and unchanged."""
    paths = {c: a.path for c, a in existing.items()}
    ordered = sorted(
        rows.values(), key=lambda r: ("district", "town", "village").index(str(r["level"]))
    )
    to_write = []
    inserted = updated = unchanged = 0
    for r in ordered:
        code = str(r["code"])
        parent_code = r["parent_code"]
        paths[code] = (paths[parent_code] if parent_code else "") + code + "/"
        if code not in existing:
            inserted += 1
        elif existing[code].name != r["name"]:
            updated += 1
        else:
            unchanged += 1
        to_write.append({**r, "path": paths[code]})
    return to_write, inserted, updated, unchanged


async def list_areas(
    session: AsyncSession,
    principal: Principal,
    level: str | None,
    parent_code: str | None,
    limit: int,
    cursor: str | None,
) -> Page[AreaOut]:
    """Areas by code, one page: every signed-in caller reads its own part of the tree (a
    district's staff and agencies their district, the city's roles and agencies all of it)."""
    stmt = repo.list_stmt(principal, level, parent_code)
    return await page_of(session, stmt, [Area.code], limit, cursor, AreaOut.model_validate)
