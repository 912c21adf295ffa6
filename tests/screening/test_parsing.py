"""Reading screening files: encodings, CSV and XLSX, headers, refusals; the template and the
synthetic generator (no database; small files in tmp_path)."""

from __future__ import annotations

import csv
import io
import random
import re
import tempfile
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.kit.idnumber import Gender, make
from app.screening.imports.rows import DuplicateTracker, RejectedRow, ValidRow, validate_row
from app.screening.imports.table import (
    SAMPLE_SIZE,
    MissingColumnsError,
    NotATableError,
    RawRow,
    detect_encoding,
    iter_chunks,
    iter_rows,
    open_table,
)
from app.screening.imports.template import (
    COLUMNS,
    EN_HEADERS,
    FIELDS,
    ZH_HEADERS,
    template_csv,
    template_xlsx,
)
from bench import gen_screening

VILLAGES = frozenset(gen_screening.demo_village_codes())
ID = make(date(2014, 5, 20), "female", division_code="410102", sequence=7, rng=random.Random(0))
ROW = {
    "name": "王小明",
    "id_number": ID,
    "gender": "女",
    "birth_date": "2014/5/20",
    "hukou_code": "410102",
    "village_code": "110115001001",
    "residence_since": "2020-09-01",
    "accompanied_by": "父母双方",
    "father_can_guard": "有",
    "mother_can_guard": "有",
    "guardian_name": "王大明",
    "guardian_phone": "13800000000",
    "school_status": "小学",
    "screened_on": "20250315",
    "stated_classification": "流动儿童",
}


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def table(path: Path) -> tuple[Any, list[tuple[int, dict[str, Any]]]]:
    header, rows = iter_rows(path)
    return header, list(rows)


def as_cells(row: dict[str, str], fields: tuple[str, ...] | list[str] = FIELDS) -> list[str]:
    return [row.get(f, "") for f in fields]


def as_read(row: dict[str, str], fields: tuple[str, ...] | list[str] = FIELDS) -> dict[str, str]:
    """A CSV row as read: its non-empty cells only, trimmed."""
    return {f: row[f].strip() for f in fields if row.get(f, "").strip()}


# ---------------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")],
)
def test_csv_encodings(tmp_path: Path, encoding: str, detected: str) -> None:
    path = write_csv(tmp_path / "f.csv", list(ZH_HEADERS), [as_cells(ROW)], encoding)
    header, rows = table(path)
    assert (header.kind, header.encoding) == ("csv", detected)
    assert header.columns == FIELDS
    assert rows == [(2, as_read(ROW))]
    result = validate_row(*rows[0], known_villages=VILLAGES)
    assert isinstance(result, ValidRow)
    assert result.name == "王小明"
    assert result.classification == "migrant"


def test_bom_is_stripped_from_an_english_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", list(EN_HEADERS), [as_cells(ROW)], "utf-8-sig")
    header, rows = table(path)
    assert header.columns[0] == "name"
    assert rows[0][1]["name"] == "王小明"


def test_utf8_character_cut_at_the_sample_end_is_still_utf8(tmp_path: Path) -> None:
    rows = [as_cells(ROW) for _ in range(2000)]
    path = write_csv(tmp_path / "f.csv", list(ZH_HEADERS), rows)
    data = path.read_bytes()
    # Shift the content so that a three-byte character straddles the sample's end.
    for pad in range(3):
        shifted = data.replace(b"\r\n", b"\r\n" + b" " * pad, 0)
        sample = shifted[:SAMPLE_SIZE]
        try:
            sample.decode("utf-8")
        except UnicodeDecodeError:
            break
    else:
        pytest.fail("no cut character found")
    assert detect_encoding(sample, at_eof=False) == "utf-8"
    (tmp_path / "cut.csv").write_bytes(shifted)
    header, got = table(tmp_path / "cut.csv")
    assert header.encoding == "utf-8"
    assert len(got) == 2000


def test_gb18030_detected_past_ascii(tmp_path: Path) -> None:
    sample = "姓名,摸排日期\r\n".encode("gb18030")
    assert detect_encoding(sample, at_eof=True) == "gb18030"


# ---------------------------------------------------------------------------- headers


def test_english_headers_in_any_order(tmp_path: Path) -> None:
    order = list(FIELDS)
    random.Random(3).shuffle(order)
    path = write_csv(tmp_path / "f.csv", [f" {f.upper()} " for f in order], [as_cells(ROW, order)])
    header, rows = table(path)
    assert header.columns == tuple(order)
    assert rows[0][1] == as_read(ROW, order)
    assert isinstance(validate_row(*rows[0], known_villages=VILLAGES), ValidRow)


def test_chinese_headers_in_any_order_with_some_columns_absent(tmp_path: Path) -> None:
    fields = ["screened_on", "village_code", "birth_date", "name", "hukou_code"]
    zh = {c.field: c.zh for c in COLUMNS}
    path = write_csv(tmp_path / "f.csv", [zh[f] for f in fields], [as_cells(ROW, fields)])
    header, rows = table(path)
    assert header.columns == tuple(fields)
    assert "id_number" in header.missing_columns
    assert header.warnings[0].startswith("文件缺少以下列，按空值处理：身份证号、性别、")
    assert rows[0][1] == {f: ROW[f] for f in fields}
    result = validate_row(*rows[0], known_villages=VILLAGES)
    assert isinstance(result, ValidRow)
    assert result.classification == "neither"  # no accompaniment, no residence date


def test_extra_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    names = ["序号", *ZH_HEADERS[:5], "备注", *ZH_HEADERS[5:]]
    cells = ["1", *as_cells(ROW)[:5], "随便写", *as_cells(ROW)[5:]]
    header, rows = table(write_csv(tmp_path / "f.csv", names, [cells]))
    assert header.ignored_columns == ("序号", "备注")
    assert header.warnings == ("已忽略模板以外的列：序号、备注",)
    assert rows[0][1] == as_read(ROW)


def test_missing_required_column_refuses_the_file(tmp_path: Path) -> None:
    fields = [f for f in FIELDS if f != "village_code"]
    path = write_csv(tmp_path / "f.csv", list(fields), [as_cells(ROW, fields)])
    with pytest.raises(MissingColumnsError) as info:
        iter_rows(path)
    assert info.value.missing == ("village_code",)
    assert "现居住村居代码" in str(info.value)
    assert isinstance(info.value, NotATableError)


def test_id_number_or_birth_date_column_is_required(tmp_path: Path) -> None:
    fields = ["name", "village_code", "screened_on"]
    with pytest.raises(MissingColumnsError) as info:
        iter_rows(write_csv(tmp_path / "f.csv", fields, []))
    assert info.value.missing == ("birth_date",)


def test_a_title_line_may_precede_the_header(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    with path.open("w", encoding="gb18030", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["大兴区流动儿童摸排表"])
        writer.writerow(ZH_HEADERS)
        writer.writerow(as_cells(ROW))
    header, rows = table(path)
    assert header.header_row == 2
    assert [n for n, _ in rows] == [3]


# ---------------------------------------------------------------------------- rows


def test_row_numbers_count_blank_rows_and_multiline_records(tmp_path: Path) -> None:
    blank = [""] * len(FIELDS)
    spaces = [" "] * len(FIELDS)
    multiline = as_cells({**ROW, "health_status": "第一行\n第二行"})
    rows = [as_cells(ROW), blank, [], spaces, multiline, as_cells(ROW)]
    _, got = table(write_csv(tmp_path / "f.csv", list(ZH_HEADERS), rows))
    assert [n for n, _ in got] == [2, 6, 7]
    assert got[1][1]["health_status"] == "第一行\n第二行"


def test_csv_rows_hold_their_non_empty_cells_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "姓名,出生日期,现居住村居代码,摸排日期,备注\r\n 小红 ,2014-05-20,  ,\r\n小明\r\n", "utf-8"
    )
    with open_table(path) as t:
        assert t.trimmed
        rows = list(t)
    # a short row, a blank cell, an absent one: all left out
    assert rows == [(2, {"name": "小红", "birth_date": "2014-05-20"}), (3, {"name": "小明"})]
    # validate_row sees the same row, trimmed by the reader or by itself
    untrimmed: RawRow = {"name": " 小红 ", "birth_date": "2014-05-20", "village_code": "  "}
    assert validate_row(2, rows[0][1], known_villages=VILLAGES, trimmed=True) == validate_row(
        2, untrimmed, known_villages=VILLAGES
    )


def test_csv_columns_out_of_template_order_are_trimmed_too(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("摸排日期,姓名,出生日期,现居住村居代码\r\n2026-06-01, 小红\r\n", "utf-8")
    _, rows = table(path)
    assert rows == [(2, {"screened_on": "2026-06-01", "name": "小红"})]


def test_tab_separated_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.txt", list(ZH_HEADERS), [as_cells(ROW)], delimiter="\t")
    _, rows = table(path)
    assert rows[0][1]["name"] == "王小明"


def test_chunks(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", list(ZH_HEADERS), [as_cells(ROW)] * 12)
    _, chunks = iter_chunks(path, chunk_size=5)
    sizes = [[n for n, _ in chunk] for chunk in chunks]
    assert sizes == [[2, 3, 4, 5, 6], [7, 8, 9, 10, 11], [12, 13]]


def test_open_table_closes_the_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", list(ZH_HEADERS), [as_cells(ROW)] * 3)
    with open_table(path) as t:
        first = next(iter(t))
    assert first[0] == 2
    assert t._closers == []


# ---------------------------------------------------------------------------- XLSX


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("摸排")
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_with_date_cells_and_numbers(tmp_path: Path) -> None:
    cells: list[Any] = as_cells(ROW)
    cells[FIELDS.index("birth_date")] = datetime(2014, 5, 20)
    cells[FIELDS.index("screened_on")] = date(2025, 3, 15)
    cells[FIELDS.index("residence_since")] = datetime(2020, 9, 1, 0, 0)
    cells[FIELDS.index("guardian_phone")] = 13800000000
    cells[FIELDS.index("hukou_code")] = 410102.0
    cells[FIELDS.index("name")] = datetime(2020, 1, 1)  # nonsense, but must not crash
    path = write_xlsx(tmp_path / "upload.bin", list(EN_HEADERS), [cells, [None] * 3, cells])
    header, rows = table(path)
    assert (header.kind, header.encoding) == ("xlsx", None)
    assert [n for n, _ in rows] == [2, 4]
    raw = rows[0][1]
    assert raw["birth_date"] == date(2014, 5, 20)
    assert type(raw["birth_date"]) is date
    assert raw["guardian_phone"] == "13800000000"
    assert raw["hukou_code"] == "410102"
    result = validate_row(*rows[0], known_villages=VILLAGES)
    assert isinstance(result, ValidRow)
    assert (result.birth_date, result.screened_on) == (date(2014, 5, 20), date(2025, 3, 15))
    assert result.name == "2020-01-01"
    assert result.classification == "migrant"


def test_xlsx_chinese_headers_shuffled_with_extra_column(tmp_path: Path) -> None:
    order = [*reversed(ZH_HEADERS), "备注"]
    zh_to_field = {c.zh: c.field for c in COLUMNS}
    row = [ROW.get(zh_to_field.get(h, ""), "x") for h in order]
    header, rows = table(write_xlsx(tmp_path / "f.xlsx", order, [row]))
    assert header.ignored_columns == ("备注",)
    assert rows[0][1]["name"] == "王小明"


def test_xlsx_row_numbers_with_gaps_and_a_wrong_dimension(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.cell(row=1, column=1, value="大兴区流动儿童摸排表")
    for col, name in enumerate(ZH_HEADERS, start=1):
        ws.cell(row=3, column=col, value=name)
    ws.cell(row=4, column=1, value="甲")
    ws.cell(row=9, column=1, value="乙")
    ws.cell(row=9, column=len(FIELDS), value="流动儿童")
    wb.save(tmp_path / "gaps.xlsx")
    # Some tools record the sheet's dimension as just "A1": every row must still be read.
    with (
        zipfile.ZipFile(tmp_path / "gaps.xlsx") as src,
        zipfile.ZipFile(tmp_path / "dim.xlsx", "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, replaced = re.subn(
                    rb'<dimension ref="[^"]*" ?/>', b'<dimension ref="A1"/>', data
                )
                assert replaced == 1
            dst.writestr(item, data)
    for name in ("gaps.xlsx", "dim.xlsx"):
        header, rows = table(tmp_path / name)
        assert header.header_row == 3
        assert [(n, r["name"], r["stated_classification"]) for n, r in rows] == [
            (4, "甲", None),
            (9, "乙", "流动儿童"),
        ]


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"  \r\n\r\n", id="blank"),
        pytest.param(random.Random(0).randbytes(5000), id="random-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, id="png"),
        pytest.param("你好，世界\n这不是表格\n".encode(), id="text"),
        pytest.param("姓名\n张三\n".encode(), id="one-column"),
        pytest.param(b"PK\x03\x04 not really a zip", id="broken-zip"),
        pytest.param("姓名".encode("utf-16"), id="utf-16"),
    ],
)
def test_not_a_table(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    with pytest.raises(NotATableError) as info:
        iter_rows(path)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value))  # a Chinese message


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "upload.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(NotATableError):
        iter_rows(path)


def test_duplicate_header_column_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", [*ZH_HEADERS, "name"], [])
    with pytest.raises(NotATableError, match="重复"):
        iter_rows(path)


# ---------------------------------------------------------------------------- template


def test_template_csv_has_a_bom_and_reads_back(tmp_path: Path) -> None:
    data = template_csv(example=True)
    assert data.startswith(b"\xef\xbb\xbf")
    (tmp_path / "t.csv").write_bytes(data)
    header, rows = table(tmp_path / "t.csv")
    assert header.columns == FIELDS
    result = validate_row(*rows[0], known_villages=VILLAGES)
    assert isinstance(result, ValidRow)
    assert result.classification == "migrant"


def test_template_xlsx_reads_back(tmp_path: Path) -> None:
    (tmp_path / "t.xlsx").write_bytes(template_xlsx())
    header, rows = table(tmp_path / "t.xlsx")
    assert (header.kind, header.columns, rows) == ("xlsx", FIELDS, [])
    (tmp_path / "e.xlsx").write_bytes(template_xlsx(chinese=False, example=True))
    _, rows = table(tmp_path / "e.xlsx")
    assert isinstance(validate_row(*rows[0], known_villages=VILLAGES), ValidRow)


# ---------------------------------------------------------------------------- generator


def test_demo_villages() -> None:
    codes = gen_screening.demo_village_codes()
    assert len(codes) == len(set(codes)) == 709
    assert len({c[:9] for c in codes}) == 20
    assert codes[0] == "110115001001"
    assert codes[-1] == "110115020035"


@pytest.mark.parametrize(
    ("file_format", "encoding", "headers"),
    [("csv", "gb18030", "zh"), ("csv", "utf-8-sig", "en"), ("xlsx", "utf-8", "zh")],
)
def test_generated_file_reads_back_with_its_bad_and_duplicate_rows(
    tmp_path: Path, file_format: str, encoding: str, headers: str
) -> None:
    out = tmp_path / f"gen.{file_format}"
    villages = tmp_path / "villages.txt"
    villages.write_text("# demo\n" + "\n".join(sorted(VILLAGES)) + "\n", "utf-8")
    argv = ["--rows", "600", "--out", str(out), "--format", file_format, "--encoding", encoding]
    argv += ["--headers", headers, "--bad-share", "0.05", "--dup-share", "0.03", "--seed", "7"]
    argv += ["--villages-file", str(villages), "--validate"]
    assert gen_screening.main(argv) == 0
    kinds = Counter(
        kind
        for kind, _ in gen_screening.generate_rows(
            600, villages=sorted(VILLAGES), seed=7, bad_share=0.05, dup_share=0.03
        )
    )
    header, rows = iter_rows(out)
    assert header.encoding == (None if file_format == "xlsx" else encoding)
    tracker = DuplicateTracker()
    outcome: Counter[str] = Counter()
    for number, raw in rows:
        result = validate_row(number, raw, known_villages=VILLAGES, today=date(2026, 1, 1))
        if isinstance(result, ValidRow):
            result = tracker.feed(result)
        if isinstance(result, RejectedRow):
            outcome["rejected"] += 1
        else:
            outcome[result.classification] += 1
    assert sum(outcome.values()) == 600
    assert outcome["left_behind"] == 0
    assert outcome["migrant"] > outcome["neither"] > 0
    # Every bad row and every repeated row is rejected (a random pair may share a key too).
    assert kinds["bad"] + kinds["dup"] <= outcome["rejected"] <= kinds["bad"] + kinds["dup"] + 2


def test_a_later_screening_round_has_the_same_children_screened_later() -> None:
    def rows(**kw: int) -> list[list[gen_screening.Cell]]:
        made = gen_screening.generate_rows(
            300, villages=sorted(VILLAGES), seed=5, text_dates=False, **kw
        )
        return [row for _, row in made]

    first, later = rows(), rows(rescreen_days=92)
    screened = EN_HEADERS.index("screened_on")
    assert len(first) == len(later) == 300
    for a, b in zip(first, later, strict=True):
        assert a[:screened] + a[screened + 1 :] == b[:screened] + b[screened + 1 :]
        day = a[screened]
        if isinstance(day, date):  # not one of the bad rows' unreadable dates
            assert b[screened] == day + timedelta(days=92)


# ---------------------------------------------------------------------------- property


GENDERS: tuple[Gender, ...] = ("male", "female")
_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@st.composite
def template_rows(draw: st.DrawFn) -> dict[str, str]:
    """A valid row as a town would type it, with dates in any accepted format."""
    screened = draw(st.dates(date(2024, 1, 1), date(2025, 12, 31)))
    birth = draw(st.dates(date(2008, 1, 1), screened))
    residence = draw(st.dates(birth, screened))
    gender: Gender = draw(st.sampled_from(GENDERS))
    hukou = draw(st.sampled_from(["410102", "130602", "110115", "510104", "110105"]))
    with_id = draw(st.booleans())
    fmt = draw(st.sampled_from(["{d:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}", "{d:%Y%m%d}"]))
    return {
        "name": draw(st.text(_CJK, min_size=1, max_size=4)),
        "id_number": make(birth, gender, division_code=hukou, rng=random.Random(0))
        if with_id
        else "",
        "gender": draw(
            st.sampled_from({"male": ["男", "male"], "female": ["女", "Female"]}[gender])
        ),
        "birth_date": fmt.format(d=birth) if not with_id or draw(st.booleans()) else "",
        "hukou_code": hukou,
        "village_code": draw(st.sampled_from(sorted(VILLAGES))),
        "residence_since": fmt.format(d=residence),
        "accompanied_by": draw(st.sampled_from(["父母双方", "one_parent", "其他监护人", "无"])),
        "father_can_guard": draw(st.sampled_from(["有", "无", "yes", "no", ""])),
        "guardian_phone": draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)),
        "school_status": draw(st.sampled_from(["", "未入学", "学前", "primary", "本科"])),
        "health_status": draw(st.text(_CJK, max_size=10)),
        "disability": draw(st.sampled_from(["", "肢体二级", "intellectual 3"])),
        "screened_on": fmt.format(d=screened),
        "stated_classification": draw(st.sampled_from(["", "流动儿童", "无", "left_behind"])),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(template_rows(), min_size=1, max_size=5),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    chinese=st.booleans(),
)
def test_any_valid_row_round_trips_through_csv(
    rows: list[dict[str, str]], encoding: str, chinese: bool
) -> None:
    order = list(FIELDS)
    random.Random(len(rows)).shuffle(order)
    zh = {c.field: c.zh for c in COLUMNS}
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow([zh[f] if chinese else f for f in order])
    writer.writerows(as_cells(r, order) for r in rows)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "upload"
        path.write_bytes(buf.getvalue().encode(encoding))
        header, got = table(path)
    assert header.encoding == encoding or (encoding == "gb18030" and header.encoding == "utf-8")
    assert [n for n, _ in got] == list(range(2, len(rows) + 2))
    for (number, raw), source in zip(got, rows, strict=True):
        result = validate_row(number, raw, known_villages=VILLAGES, today=date(2026, 1, 1))
        assert isinstance(result, ValidRow), (source, result)
        assert result.name == source["name"]
        assert (result.id_number or "") == source["id_number"]
        assert result.village_code == source["village_code"]
