"""Reading the civil-affairs household list 低保/低收入家庭名单 (CSV in UTF-8 or GB18030, or XLSX).

One row per household member. Columns (English or Chinese headers, any order):

| column | 中文 | required | values |
|---|---|---|---|
| household_id | 户编号 | yes | the household's id in the civil-affairs list |
| assistance_type | 救助类型 | yes | subsistence 低保, low_income 低收入, extreme_poverty 特困 |
| village_code | 村居代码 | yes | the 12-digit village code |
| name | 姓名 | yes | |
| id_number | 身份证号码 | yes | GB 11643 |
| relation | 与户主关系 | yes | head 户主, spouse 配偶, child 子女, grandchild 孙子女, parent 父母, sibling 兄弟姐妹, other 其他 |
| disability_kind | 残疾类别 | no | visual, hearing, speech, physical, intellectual, mental, multiple (or 视力…) |
| disability_grade | 残疾等级 | no | 1–4 |
| disability_certificate_no | 残疾证号 | no | |
| serious_illness | 重病 | no | the diagnosis |
| situation | 特殊情形 | no | a parent's situation code (deceased, imprisoned, …) |
| situation_since | 情形起始日期 | no | YYYY-MM-DD |

The parents of a member recorded as `child` are the household's `head` and `spouse` (father or
mother by the gender in their ID numbers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.children.rules import SITUATIONS

HEADERS = {
    "household_id": ("household_id", "户编号", "家庭编号"),
    "assistance_type": ("assistance_type", "救助类型"),
    "village_code": ("village_code", "村居代码"),
    "name": ("name", "姓名"),
    "id_number": ("id_number", "身份证号码", "身份证号"),
    "relation": ("relation", "与户主关系"),
    "disability_kind": ("disability_kind", "残疾类别"),
    "disability_grade": ("disability_grade", "残疾等级"),
    "disability_certificate_no": ("disability_certificate_no", "残疾证号"),
    "serious_illness": ("serious_illness", "重病"),
    "situation": ("situation", "特殊情形"),
    "situation_since": ("situation_since", "情形起始日期"),
}
REQUIRED = ("household_id", "assistance_type", "village_code", "name", "id_number", "relation")
ASSISTANCE = {
    "subsistence": "subsistence",
    "低保": "subsistence",
    "low_income": "low_income",
    "低收入": "low_income",
    "extreme_poverty": "extreme_poverty",
    "特困": "extreme_poverty",
}
RELATIONS = {
    "head": "head",
    "户主": "head",
    "spouse": "spouse",
    "配偶": "spouse",
    "child": "child",
    "子女": "child",
    "grandchild": "grandchild",
    "孙子女": "grandchild",
    "parent": "parent",
    "父母": "parent",
    "sibling": "sibling",
    "兄弟姐妹": "sibling",
    "other": "other",
    "其他": "other",
}
DISABILITY_KINDS = {
    "visual": "visual",
    "视力": "visual",
    "hearing": "hearing",
    "听力": "hearing",
    "speech": "speech",
    "言语": "speech",
    "physical": "physical",
    "肢体": "physical",
    "intellectual": "intellectual",
    "智力": "intellectual",
    "mental": "mental",
    "精神": "mental",
    "multiple": "multiple",
    "多重": "multiple",
}


class ParseError(ValueError):
    def __init__(self, errors: list[tuple[int | None, str, str, str]]) -> None:
        super().__init__("household list rejected")
        # (row, field, message_zh, message_en)
        self.errors = errors


@dataclass
class MemberRow:
    row: int
    household_id: str
    assistance: str
    village_code: str
    name: str
    id_number: str
    relation: str
    disability: dict[str, Any] | None
    serious_illness: dict[str, Any] | None
    situation: str | None
    situation_since: date | None


def _rows_from_csv(raw: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ParseError(
            [(None, "file", "文件编码无法识别（应为UTF-8或GB18030）", "Unknown encoding")]
        )
    # newline="": the csv module splits the lines itself, so a bare CR (old Mac Excel) or a line
    # break inside a quoted cell is read, not an error.
    try:
        return [
            row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise ParseError([(None, "file", f"CSV格式错误：{exc}", f"Malformed CSV: {exc}")]) from None


def _rows_from_xlsx(raw: bytes) -> list[list[str]]:
    """The first sheet's rows, through the screening reader and its limits (an XLSX bomb is
    refused naming the limit, `FileLimitExceeded`, at flat memory)."""
    from app.errors import FileLimitExceeded
    from app.screening.imports.xlsx import XlsxError, XlsxLimitExceeded, XlsxReader

    out = []
    try:
        reader = XlsxReader(io.BytesIO(raw))
        try:
            for values in reader:
                row = ["" if v is None else str(v) for v in values]
                if any(c.strip() for c in row):
                    out.append(row)
        finally:
            reader.close()
    except XlsxLimitExceeded as exc:
        raise FileLimitExceeded(exc.limit, exc.maximum, exc.reason_zh, exc.reason_en) from None
    except (XlsxError, ValueError):
        raise ParseError(
            [(None, "file", "无法读取XLSX文件", "Cannot read the XLSX file")]
        ) from None
    return out


def read_rows(raw: bytes) -> list[list[str]]:
    if raw[:2] == b"PK":
        return _rows_from_xlsx(raw)
    return _rows_from_csv(raw)


def parse(raw: bytes) -> list[MemberRow]:
    """Every row checked; any error rejects the file, naming row and column."""
    rows = read_rows(raw)
    if not rows:
        raise ParseError([(None, "file", "文件为空", "The file is empty")])
    index = _column_index(rows[0])
    errors: list[tuple[int | None, str, str, str]] = []
    out: list[MemberRow] = []
    for n, row in enumerate(rows[1:], start=2):

        def get(key: str, row: list[str] = row) -> str:
            i = index.get(key)
            return row[i].strip() if i is not None and i < len(row) else ""

        member = _member(n, get, errors)
        if member is not None:
            out.append(member)
    if errors:
        raise ParseError(errors[:200])
    return out


def _column_index(header_row: list[str]) -> dict[str, int]:
    """Each known column's position in the header; a ParseError names the required ones
    missing."""
    header = [h.strip() for h in header_row]
    index: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names:
                index[key] = i
    missing = [k for k in REQUIRED if k not in index]
    if missing:
        raise ParseError(
            [(1, k, f"缺少列 {k}（{HEADERS[k][1]}）", f"Missing column {k}") for k in missing]
        )
    return index


def _member(
    n: int, get: Callable[[str], str], errors: list[tuple[int | None, str, str, str]]
) -> MemberRow | None:
    """Row `n` (its cells through `get`) checked: the member, or None with its problems
    appended to `errors`."""
    bad = len(errors)
    for key in REQUIRED:
        if not get(key):
            errors.append((n, key, "不能为空", "Required"))
    assistance = ASSISTANCE.get(get("assistance_type"))
    if get("assistance_type") and assistance is None:
        errors.append((n, "assistance_type", "救助类型无效", "Unknown assistance type"))
    relation = RELATIONS.get(get("relation"))
    if get("relation") and relation is None:
        errors.append((n, "relation", "与户主关系无效", "Unknown relation"))
    disability = None
    if get("disability_grade") or get("disability_kind"):
        kind = DISABILITY_KINDS.get(get("disability_kind"))
        grade = get("disability_grade")
        if kind is None or grade not in ("1", "2", "3", "4"):
            errors.append(
                (
                    n,
                    "disability_grade",
                    "残疾类别或等级（1-4）无效",
                    "Bad disability kind/grade",
                )
            )
        else:
            disability = {
                "kind": kind,
                "grade": int(grade),
                "certificate_no": get("disability_certificate_no") or "",
            }
    situation = get("situation") or None
    if situation is not None and situation not in SITUATIONS:
        errors.append((n, "situation", "特殊情形代码无效", "Unknown situation"))
    since: date | None = None
    if get("situation_since"):
        try:
            since = date.fromisoformat(get("situation_since")[:10])
        except ValueError:
            errors.append((n, "situation_since", "日期格式应为 YYYY-MM-DD", "Bad date"))
    if len(errors) > bad:
        return None
    return MemberRow(
        row=n,
        household_id=get("household_id"),
        assistance=str(assistance),
        village_code=get("village_code"),
        name=get("name"),
        id_number=get("id_number"),
        relation=str(relation),
        disability=disability,
        serious_illness={"diagnosis": get("serious_illness")} if get("serious_illness") else None,
        situation=situation,
        situation_since=since,
    )
