"""Synthetic screening files 摸排 for benchmarks and demo data (made-up people only).

    python -m bench.gen_screening --rows 1000000 --out /tmp/screening.csv
    python -m bench.gen_screening --rows 100000 --out /tmp/screening.xlsx --format xlsx

Rows are realistic but fake: names from syllable lists, ID numbers with valid check characters
(`idnumber.make`) whose division codes mostly lie outside Beijing, ages 0–17, residence dates
mostly more than 6 months before the screening, schooling by age, parents not working away (the
district has no left-behind children). A chosen share of rows is bad (wrong check character,
unknown village, unreadable date) and a chosen share repeats an earlier row. Rows are streamed
to disk; XLSX is written in openpyxl's write-only mode.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Final, Literal

from app.kit.idnumber import make as make_id_number
from app.screening.imports.rows import (
    CLASSIFICATION_ZH,
    DuplicateTracker,
    ValidRow,
    age_on,
    classify,
    validate_row,
)
from app.screening.imports.table import iter_chunks
from app.screening.imports.template import EN_HEADERS, ZH_HEADERS

DISTRICT: Final = "110115"
TOWNS: Final = 20
VILLAGES: Final = 709

Cell = str | date
RowKind = Literal["good", "bad", "dup"]

_SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
    "武戴莫孔向汤"
)
_GIVEN: Final = (
    "子梓浩宇轩然欣怡佳琪思涵雨泽一诺梦瑶俊杰博文晨曦若汐可馨嘉懿天佑昊天家豪雅静婉清沐辰安琪语桐"
    "亦凡乐瑶诗涵宏伟明华丽娜敏静秀英芳军洋勇艳杰娟涛超霞平刚桂兰健玉辉鹏飞鑫磊波斌宁琳晶颖"
)
# County-level division codes, most outside Beijing (the migrant children's registrations).
_HUKOU_ELSEWHERE: Final = (
    "130102",
    "130203",
    "130304",
    "130406",
    "130521",
    "130602",
    "130681",
    "130705",
    "130821",
    "130923",
    "131002",
    "131102",
    "140105",
    "140202",
    "140302",
    "140421",
    "150102",
    "150203",
    "210102",
    "210202",
    "220102",
    "230102",
    "320102",
    "320311",
    "340102",
    "340202",
    "341202",
    "341302",
    "360102",
    "370102",
    "370202",
    "370305",
    "371302",
    "371402",
    "410102",
    "410202",
    "410305",
    "410402",
    "410522",
    "410602",
    "410702",
    "411002",
    "411102",
    "411302",
    "411402",
    "411502",
    "411602",
    "411702",
    "420102",
    "420302",
    "420602",
    "421002",
    "430102",
    "430302",
    "500101",
    "510104",
    "510802",
    "511302",
    "610102",
    "620102",
    "110105",
    "110108",
    "110111",
    "120101",
    "120110",
)
_HEALTH: Final = ("良好",) * 40 + ("一般", "哮喘", "过敏性鼻炎", "近视", "先天性心脏病")
_DISABILITY: Final = ("肢体二级", "智力三级", "听力四级", "视力一级", "言语三级", "精神二级")


def demo_village_codes() -> list[str]:
    """The demo district's 709 village codes `110115{town:03d}{village:03d}`, 20 towns."""
    base, extra = divmod(VILLAGES, TOWNS)  # 35 each, the first 9 towns one more
    return [
        f"{DISTRICT}{town:03d}{village:03d}"
        for town in range(1, TOWNS + 1)
        for village in range(1, base + (1 if town <= extra else 0) + 1)
    ]


def read_village_codes(path: Path) -> list[str]:
    """Village codes from a file, one a line (blank lines and `#` comments ignored)."""
    codes = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    return [c for c in codes if c and not c.startswith("#")]


def _pick(seq: Sequence[str], rnd: Callable[[], float]) -> str:
    return seq[int(rnd() * len(seq))]


def _school(age: int, rnd: Callable[[], float]) -> tuple[str, str]:
    if age < 3 or rnd() < 0.02:
        return "未入学", ""
    n = 1 + int(rnd() * 40)
    if age < 6:
        return "学前", f"示例第{n}幼儿园"
    if age < 12:
        return "小学", f"示例第{n}小学"
    if age < 15:
        return "初中", f"示例第{n}中学"
    if rnd() < 0.3:
        return "中职", f"示例第{n}职业学校"
    return "高中", f"示例第{n}中学"


def _date_text(d: date, r: float) -> str:
    if r < 0.85:
        return d.isoformat()
    if r < 0.95:
        return f"{d.year}/{d.month}/{d.day}"
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _date_cell(d: date, r: float) -> date:
    return d


def generate_rows(
    n: int,
    *,
    villages: Sequence[str],
    seed: int = 1,
    bad_share: float = 0.01,
    dup_share: float = 0.005,
    text_dates: bool = True,
    rescreen_days: int = 0,
) -> Iterator[tuple[RowKind, list[Cell]]]:
    """`n` rows in template column order, each with its kind (good, bad or a duplicate).

    With `text_dates` dates are written as text in the accepted formats (CSV); otherwise the
    date columns hold `date` values (XLSX date cells). With `rescreen_days` the same seed gives
    the same children screened that many days later: only `screened_on` differs (a later round
    of screening, which may also change a child's classification or flags).
    """
    rng = random.Random(seed)
    rnd = rng.random
    recent: list[list[Cell]] = []  # a bounded pool to draw duplicates from
    screen_start = date(2025, 3, 1).toordinal()
    # Both formats draw the same random numbers: a seed gives the same children in CSV and XLSX.
    fmt: Callable[[date, float], Cell] = _date_text if text_dates else _date_cell
    surnames, given, elsewhere = _SURNAMES, _GIVEN, _HUKOU_ELSEWHERE
    for _ in range(n):
        if recent and rnd() < dup_share:
            yield "dup", list(_pick(recent, rnd))  # type: ignore[arg-type]
            continue
        screened_ord = screen_start + int(rnd() * 120)
        screened = date.fromordinal(screened_ord)
        age = min(int(rng.triangular(0, 18, 7)), 17)
        birth_ord = screened_ord - age * 365 - int(rnd() * 365)
        birth = date.fromordinal(birth_ord)
        gender: Literal["male", "female"] = "male" if rnd() < 0.53 else "female"
        hukou = DISTRICT if rnd() < 0.04 else _pick(elsewhere, rnd)
        id_number = make_id_number(
            # pass rng: without it make() seeds a new Random from os.urandom on every call
            birth,
            gender,
            division_code=hukou,
            rng=rng,
            sequence=int(rnd() * 500),
        )
        if rnd() < 0.02:
            id_number = ""
        lived = screened_ord - birth_ord
        if lived > 200 and rnd() < 0.9:
            residence_ord = screened_ord - 183 - int(rnd() * min(lived - 183, 4380))
        else:
            residence_ord = screened_ord - int(rnd() * min(lived, 180))
        residence = date.fromordinal(residence_ord)
        r = rnd()
        accompanied = (
            "父母双方"
            if r < 0.62
            else "父母一方"
            if r < 0.92
            else "其他监护人"
            if r < 0.98
            else "无"
        )
        school, school_name = _school(age, rnd)
        classification = classify(
            age=age_on(birth, screened),
            screened_on=screened,
            hukou_code=hukou,
            accompanied_by="none" if accompanied == "无" else "both_parents",
            residence_since=residence,
            father_away_since=None,
            mother_away_since=None,
            father_can_guard=True,
            mother_can_guard=True,
        )
        stated = CLASSIFICATION_ZH[classification] if rnd() < 0.8 else ""
        if age >= 16 and rnd() < 0.05:
            stated = "流动儿童"  # a common slip the importer flags: 16 or older is not a child here
        name = _pick(surnames, rnd) + _pick(given, rnd)
        if rnd() < 0.8:
            name += _pick(given, rnd)
        row: list[Cell] = [
            name,
            id_number,
            "男" if gender == "male" else "女",
            fmt(birth, rnd()) if (not id_number or rnd() < 0.7) else "",
            hukou,
            _pick(villages, rnd),
            fmt(residence, rnd()),
            accompanied,
            "",
            "",
            "有",
            "有",
            _pick(surnames, rnd) + _pick(given, rnd) + _pick(given, rnd),
            f"1{_pick('3456789', rnd)}{int(rnd() * 1e9):09d}",
            school,
            school_name,
            _pick(_HEALTH, rnd),
            _pick(_DISABILITY, rnd) if rnd() < 0.01 else "",
            fmt(date.fromordinal(screened_ord + rescreen_days), rnd()),
            stated,
        ]
        if rnd() < bad_share:
            r = rnd()
            if r < 0.4 and id_number:
                row[1] = id_number[:17] + _pick("0123456789X".replace(id_number[17], ""), rnd)
            elif r < 0.7:
                row[5] = f"{DISTRICT}999{int(rnd() * 1000):03d}"
            else:
                row[18] = _pick(("2025-13-01", "2025/02/30", "去年", "2025.5"), rnd)
            yield "bad", row
            continue
        if len(recent) < 2000:
            recent.append(row)
        else:
            recent[int(rnd() * 2000)] = row
        yield "good", row


def write_file(
    out: Path,
    rows: Iterator[tuple[RowKind, list[Cell]]],
    *,
    file_format: Literal["csv", "xlsx"] = "csv",
    encoding: str = "utf-8",
    headers: Literal["en", "zh"] = "zh",
) -> Counter[str]:
    """Stream the rows to `out`; return how many of each kind were written."""
    counts: Counter[str] = Counter()
    header = list(ZH_HEADERS if headers == "zh" else EN_HEADERS)
    if file_format == "xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("摸排")
        ws.append(header)
        for kind, row in rows:
            counts[kind] += 1
            ws.append(row)
        wb.save(out)
        return counts
    with out.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for kind, row in rows:
            counts[kind] += 1
            writer.writerow(row)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--encoding", choices=("utf-8", "utf-8-sig", "gb18030"), default="utf-8")
    parser.add_argument("--headers", choices=("en", "zh"), default="zh")
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--dup-share", type=float, default=0.005)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--villages-file", type=Path, default=None)
    parser.add_argument(
        "--validate",
        action="store_true",
        help="then read the file back through iter_chunks + validate_row + DuplicateTracker "
        "and print rows/s",
    )
    args = parser.parse_args(argv)

    villages = (
        read_village_codes(args.villages_file) if args.villages_file else demo_village_codes()
    )
    if not villages:
        parser.error("no village codes")
    started = time.perf_counter()
    counts = write_file(
        args.out,
        generate_rows(
            args.rows,
            villages=villages,
            seed=args.seed,
            bad_share=args.bad_share,
            dup_share=args.dup_share,
            text_dates=args.format == "csv",
        ),
        file_format=args.format,
        encoding=args.encoding,
        headers=args.headers,
    )
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size
    print(
        f"wrote {args.out}: {args.rows} rows ({counts['good']} good, {counts['bad']} bad, "
        f"{counts['dup']} duplicates), {args.format}"
        f"{' ' + args.encoding if args.format == 'csv' else ''}, {args.headers} headers, "
        f"{size / 1e6:.1f} MB in {elapsed:.1f} s "
        f"({args.rows / elapsed:,.0f} rows/s)"
    )
    if args.validate:
        print(validate_file(args.out, frozenset(villages)))
    return 0


def validate_file(path: Path, villages: frozenset[str]) -> str:
    """Read `path` back as the importer would (no database) and report speed and outcome."""
    wall, cpu = time.perf_counter(), time.process_time()
    header, chunks = iter_chunks(path, 5000)
    tracker = DuplicateTracker()
    outcome: Counter[str] = Counter()
    today = date.today()
    for chunk in chunks:
        for number, raw in chunk:
            result = validate_row(number, raw, known_villages=villages, today=today)
            if isinstance(result, ValidRow):
                result = tracker.feed(result)
            if isinstance(result, ValidRow):
                outcome[result.classification] += 1
                outcome["flagged"] += bool(result.flags)
            else:
                outcome["rejected"] += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = outcome.total() - outcome["flagged"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (
        f"read+validate+dedup {path.name} ({header.kind}): {rows} rows in {wall:.1f} s wall "
        f"({rows / wall:,.0f} rows/s), {cpu:.1f} s CPU ({rows / cpu:,.0f} rows/s); "
        f"peak RSS {peak:.0f} MB; {dict(outcome)}"
    )


if __name__ == "__main__":
    sys.exit(main())
