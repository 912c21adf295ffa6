"""补贴参数: effective-dated, append-only parameter values of the subsidy rules.

A parameter (the living-allowance standard, a reimbursement ratio, a grant amount) has a series of
values, each in force from its `effective_from` date until the next one. Values are never changed
or deleted: a correction is a new value. The seed lives in `parameters.yaml` beside this module;
the database layer stores later values as rows and builds a `ParameterSet` from them.

Value types: `Decimal` for money (exactly two decimal places, never negative) and ratios
(between 0 and 1), a tuple of stage codes for `education_grant.eligible_stages`, a tuple of
names for a list such as `serious_illness_list` (the local serious-illness list 重病目录 that
事实无人抚养儿童's 重病 is checked against), a boolean for a rule that is switched on or off
(`support_after_18_in_school`). Never floats.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

import yaml

from app.kit.vocab import GRANT_SCHOOL_STAGES

JSONValue: TypeAlias = str | int | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""What a trace may hold: no floats, money and ratios as decimal strings, dates in ISO form."""

ParameterKind = Literal["money", "ratio", "stages", "names", "flag"]

KNOWN_PARAMETERS: Final[Mapping[str, ParameterKind]] = MappingProxyType(
    {
        "living_allowance.standard": "money",
        "living_allowance.poor_family_ratio": "ratio",
        "medical.orphan.outpatient_ratio": "ratio",
        "medical.orphan.inpatient_ratio": "ratio",
        "medical.de_facto_unsupported.outpatient_ratio": "ratio",
        "medical.de_facto_unsupported.inpatient_ratio": "ratio",
        "education_grant.orphan": "money",
        "education_grant.de_facto_unsupported": "money",
        "education_grant.eligible_stages": "stages",
        "holiday.spring_festival": "money",
        "holiday.childrens_day": "money",
        "serious_illness_list": "names",
        "support_after_18_in_school": "flag",
    }
)
"""Every parameter key the rules know, with the type of its values."""

SEED_PATH: Final = Path(__file__).with_name("parameters.yaml")

_ENTRY_FIELDS: Final = frozenset({"key", "value", "effective_from", "reference", "note"})


class ParameterError(ValueError):
    """A parameter value is invalid; `field` names what is wrong, `message` says why (zh-CN)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ParameterNotInForce(LookupError):
    """No value of a known parameter is in force on the date asked for."""

    def __init__(self, key: str, on: date) -> None:
        super().__init__(f"参数 {key} 在 {on.isoformat()} 没有生效的取值")
        self.key = key
        self.on = on


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """参数取值: one value of a parameter, in force from `effective_from` until the next one."""

    key: str
    value: Decimal | tuple[str, ...] | bool
    effective_from: date
    reference: str
    note: str | None = None

    def __post_init__(self) -> None:
        kind = KNOWN_PARAMETERS.get(self.key)
        if kind is None:
            raise ParameterError("key", f"未知参数：{self.key}")
        _check_date(self.effective_from)
        if not isinstance(self.reference, str) or not self.reference.strip():
            raise ParameterError("reference", f"参数 {self.key} 须注明依据（reference）")
        _check_value(self.key, kind, self.value)

    @classmethod
    def parse(
        cls,
        key: object,
        value: object,
        effective_from: object,
        reference: object,
        note: object = None,
    ) -> ParameterValue:
        """Build a value from raw input (YAML, a database row or an API body), validating it.

        Money and ratios must come as strings (or Decimal) such as "2650.00", never as floats;
        `effective_from` as a date or an ISO date string.
        """
        if not isinstance(key, str) or key not in KNOWN_PARAMETERS:
            raise ParameterError("key", f"未知参数：{key}")
        if not isinstance(reference, str):
            raise ParameterError("reference", f"参数 {key} 须注明依据（reference）")
        if note is not None and not isinstance(note, str):
            raise ParameterError("note", "备注须为文字")
        return cls(
            key=key,
            value=_parse_value(key, KNOWN_PARAMETERS[key], value),
            effective_from=_parse_date(effective_from),
            reference=reference,
            note=note,
        )

    @property
    def decimal(self) -> Decimal:
        """The value of a money or ratio parameter."""
        if not isinstance(self.value, Decimal):
            raise TypeError(f"参数 {self.key} 不是数值参数")
        return self.value

    @property
    def strings(self) -> tuple[str, ...]:
        """The value of a list parameter (the eligible school stages)."""
        if not isinstance(self.value, tuple):
            raise TypeError(f"参数 {self.key} 不是列表参数")
        return self.value

    @property
    def flag(self) -> bool:
        """The value of an on/off parameter."""
        if not isinstance(self.value, bool):
            raise TypeError(f"参数 {self.key} 不是开关参数")
        return self.value

    def to_trace(self) -> dict[str, JSONValue]:
        """The value as a trace records it: key, value, effective date and source."""
        value: JSONValue
        if isinstance(self.value, bool):
            value = self.value
        elif isinstance(self.value, Decimal):
            value = str(self.value)
        else:
            value = list(self.value)
        return {
            "key": self.key,
            "value": value,
            "effective_from": self.effective_from.isoformat(),
            "reference": self.reference,
        }


class ParameterSet:
    """参数集: an in-memory collection of effective-dated values, looked up by key and date.

    Built from the YAML seed (`ParameterSet.seed()`, `ParameterSet.from_yaml(...)`) or from
    database rows by the caller (`ParameterSet(ParameterValue.parse(...) for row in rows)`).
    Two values of one key with the same `effective_from` are refused: a value is never replaced.
    """

    __slots__ = ("_dates", "_values")

    def __init__(self, values: Iterable[ParameterValue]) -> None:
        grouped: dict[str, list[ParameterValue]] = {}
        for value in values:
            if not isinstance(value, ParameterValue):
                raise TypeError("ParameterSet 只接受 ParameterValue")
            grouped.setdefault(value.key, []).append(value)
        self._values: dict[str, tuple[ParameterValue, ...]] = {}
        self._dates: dict[str, list[date]] = {}
        for key, series in grouped.items():
            series.sort(key=lambda v: v.effective_from)
            for earlier, later in pairwise(series):
                if earlier.effective_from == later.effective_from:
                    raise ParameterError(
                        "effective_from",
                        f"参数 {key} 在 {later.effective_from.isoformat()} 已有取值，不能重复",
                    )
            self._values[key] = tuple(series)
            self._dates[key] = [v.effective_from for v in series]

    @classmethod
    def from_yaml(cls, text: str) -> ParameterSet:
        """Parse a YAML document of the shape of `parameters.yaml` (a `parameters:` list)."""
        try:
            document = yaml.safe_load(text)
        except (yaml.YAMLError, ValueError) as error:  # PyYAML raises ValueError on 2025-13-01
            raise ParameterError("parameters", f"YAML 无法解析：{error}") from None
        if not isinstance(document, dict) or not isinstance(document.get("parameters"), list):
            raise ParameterError("parameters", "YAML 顶层须为包含 parameters 列表的映射")
        values: list[ParameterValue] = []
        for index, entry in enumerate(document["parameters"]):
            where = f"parameters[{index}]"
            if not isinstance(entry, dict):
                raise ParameterError(where, "每个参数取值须为映射")
            unknown = set(entry) - _ENTRY_FIELDS
            missing = {"key", "value", "effective_from", "reference"} - set(entry)
            if unknown or missing:
                raise ParameterError(
                    where, f"字段有误：多余 {sorted(map(str, unknown))}，缺少 {sorted(missing)}"
                )
            try:
                values.append(
                    ParameterValue.parse(
                        entry["key"],
                        entry["value"],
                        entry["effective_from"],
                        entry["reference"],
                        entry.get("note"),
                    )
                )
            except ParameterError as error:
                raise ParameterError(f"{where}.{error.field}", error.message) from None
        return cls(values)

    @classmethod
    def seed(cls) -> ParameterSet:
        """The values of the bundled `parameters.yaml` (parsed once, then shared)."""
        return _seed()

    def at(self, key: str, on: date) -> ParameterValue:
        """The value of `key` in force on `on`: the latest with `effective_from` ≤ `on`."""
        if key not in KNOWN_PARAMETERS:
            raise ParameterError("key", f"未知参数：{key}")
        _check_date(on, "on")
        dates = self._dates.get(key, [])
        index = bisect.bisect_right(dates, on) - 1
        if index < 0:
            raise ParameterNotInForce(key, on)
        return self._values[key][index]

    def history(self, key: str) -> tuple[ParameterValue, ...]:
        """Every value of `key`, oldest first."""
        return self._values.get(key, ())

    def with_values(self, *values: ParameterValue) -> ParameterSet:
        """A new set with `values` appended (this set is left unchanged)."""
        return ParameterSet([*self, *values])

    def __iter__(self) -> Iterator[ParameterValue]:
        for series in self._values.values():
            yield from series

    def __len__(self) -> int:
        return sum(len(series) for series in self._values.values())


@cache
def _seed() -> ParameterSet:
    return ParameterSet.from_yaml(SEED_PATH.read_text(encoding="utf-8"))


def _check_date(value: object, field: str = "effective_from") -> None:
    # datetime is a subclass of date, and comparing the two raises: refuse it at the door.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ParameterError(field, "日期须为 date（不含时间）")


def _parse_date(value: object) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ParameterError("effective_from", f"日期格式无效：{value}") from None
    _check_date(value)
    assert isinstance(value, date)
    return value


def _parse_value(key: str, kind: ParameterKind, value: object) -> Decimal | tuple[str, ...] | bool:
    if kind == "flag":
        if not isinstance(value, bool):
            raise ParameterError("value", f"参数 {key} 须为 true 或 false")
        return value
    if kind in ("stages", "names"):
        if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
            what = "学段代码列表" if kind == "stages" else "名称列表"
            raise ParameterError("value", f"参数 {key} 须为{what}")
        return tuple(value)
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ParameterError("value", f'参数 {key} 须写成字符串（如 "2650.00"），不得使用浮点数')
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        raise ParameterError("value", f"参数 {key} 的数值无效：{value}") from None


def _check_value(key: str, kind: ParameterKind, value: object) -> None:
    if kind == "flag":
        if not isinstance(value, bool):
            raise ParameterError("value", f"参数 {key} 须为 true 或 false")
        return
    if kind == "stages":
        if not isinstance(value, tuple) or not value:
            raise ParameterError("value", f"参数 {key} 须为非空的学段代码列表")
        unknown = [s for s in value if s not in GRANT_SCHOOL_STAGES]
        if unknown:
            raise ParameterError("value", f"参数 {key} 含未知学段：{', '.join(map(str, unknown))}")
        if len(set(value)) != len(value):
            raise ParameterError("value", f"参数 {key} 含重复学段")
        return
    if kind == "names":
        if not isinstance(value, tuple) or not value:
            raise ParameterError("value", f"参数 {key} 须为非空的名称列表")
        if any(not s.strip() or len(s) > 100 for s in value):
            raise ParameterError("value", f"参数 {key} 的名称不能为空或超过100字")
        if len(set(value)) != len(value):
            raise ParameterError("value", f"参数 {key} 含重复名称")
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ParameterError("value", f"参数 {key} 须为有限的十进制数")
    if kind == "money":
        if value.as_tuple().exponent != -2:
            raise ParameterError("value", f'金额参数 {key} 须恰好两位小数（如 "2650.00"）')
        if value < 0:
            raise ParameterError("value", f"金额参数 {key} 不能为负数")
    elif not Decimal(0) <= value <= Decimal(1):
        raise ParameterError("value", f"比例参数 {key} 须在 0 与 1 之间")
