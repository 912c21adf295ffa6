"""Subsidy rules: the YAML case table, the parameter seed and its validation, and properties."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.kit.money import from_fen, round_fen
from app.kit.vocab import CATEGORIES, Category
from app.subsidies.parameters import (
    KNOWN_PARAMETERS,
    ParameterError,
    ParameterNotInForce,
    ParameterSet,
    ParameterValue,
)
from app.subsidies.rules import (
    MEDICAL_KINDS,
    ChildFacts,
    MedicalKind,
    RuleInputError,
    RuleResult,
    YearMonth,
    education_grant,
    holiday_condolence,
    living_allowance,
    medical_reimbursement,
)

TABLE: dict[str, Any] = yaml.safe_load(
    Path(__file__).with_name("rule_cases.yaml").read_text(encoding="utf-8")
)
SEED = ParameterSet.seed()
CHINESE = re.compile(r"[\u4e00-\u9fff]")
TRACE_KEYS = {
    "rule",
    "rule_zh",
    "inputs",
    "checks",
    "eligible",
    "reasons",
    "parameters",
    "steps",
    "amount",
    "explanation",
}


# ------------------------------------------------------------------------------- the case table


def _params(scenario: str | None) -> ParameterSet:
    if scenario is None:
        return SEED
    extra = [
        ParameterValue.parse(e["key"], e["value"], e["effective_from"], e["reference"])
        for e in TABLE["scenarios"][scenario]
    ]
    return SEED.with_values(*extra)


def _child(raw: dict[str, Any]) -> ChildFacts:
    approved_on = raw.get("approved_on")
    return ChildFacts(
        category=raw["category"],
        birth_date=raw["birth_date"],
        approved_on=approved_on,
        revoked_on=raw.get("revoked_on"),
        school_stage=raw.get("school_stage"),
        status=raw.get("status", "active"),
        schooling_ends_on=raw.get("schooling_ends_on"),
    )


def _month(raw: object) -> YearMonth | date:
    return raw if isinstance(raw, date) else YearMonth.parse(str(raw))


def _run(case: dict[str, Any]) -> RuleResult:
    params = _params(case.get("scenario"))
    given_ = case["input"]
    rule = case["rule"]
    if rule == "living_allowance":
        return living_allowance(_child(given_["child"]), _month(given_["month"]), params)
    if rule == "medical_reimbursement":
        return medical_reimbursement(
            given_["category"],
            given_["kind"],
            given_["service_date"],
            Decimal(given_["bill_total"]),
            Decimal(given_["basic_insurance_paid"]),
            Decimal(given_["other_insurance_paid"]),
            params,
        )
    if rule == "education_grant":
        return education_grant(_child(given_["child"]), given_["school_year"], params)
    if rule == "holiday_condolence":
        return holiday_condolence(
            _child(given_["child"]),
            given_["occasion"],
            given_["year"],
            params,
            on=given_.get("on"),
        )
    raise AssertionError(f"unknown rule in rule_cases.yaml: {rule}")


def _as_json(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


def _assert_json_trace(result: RuleResult, rule: str) -> None:
    trace = result.trace
    assert set(trace) == TRACE_KEYS
    assert trace["rule"] == rule == result.benefit
    assert json.loads(json.dumps(trace, ensure_ascii=False)) == trace
    _assert_no_float(trace)
    explanation = trace["explanation"]
    assert isinstance(explanation, dict)
    assert CHINESE.search(str(explanation["zh"]))
    assert explanation["en"]
    if not result.eligible:
        assert result.amount == Decimal("0.00")
        assert trace["reasons"]


def _assert_no_float(value: object) -> None:
    assert not isinstance(value, float)
    if isinstance(value, dict):
        for item in value.values():
            _assert_no_float(item)
    elif isinstance(value, list):
        for item in value:
            _assert_no_float(item)


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_rule_case(case: dict[str, Any]) -> None:
    if "error" in case:
        expected_error: dict[str, str] = case["error"]
        if "field" in expected_error:
            with pytest.raises(RuleInputError) as raised:
                _run(case)
            assert raised.value.field == expected_error["field"]
            assert CHINESE.search(raised.value.message)
        else:
            with pytest.raises(ParameterNotInForce) as not_in_force:
                _run(case)
            assert not_in_force.value.key == expected_error["not_in_force"]
        return

    result = _run(case)
    expected: dict[str, Any] = case["output"]
    trace: Any = json.loads(json.dumps(result.trace))  # read it as an API client would
    assert result.amount == Decimal(expected["amount"])
    assert result.amount.as_tuple().exponent == -2
    assert trace["amount"] == expected["amount"]
    if "eligible" in expected:
        assert result.eligible is expected["eligible"]
        assert trace["eligible"] is expected["eligible"]
    if "reasons" in expected:
        assert trace["reasons"] == expected["reasons"]
    if "parameters" in expected:
        used = {p["key"]: p for p in trace["parameters"]}
        assert set(used) == set(expected["parameters"])
        for key, facts in expected["parameters"].items():
            for field, value in facts.items():
                assert used[key][field] == _as_json(value), (key, field)
    if "steps" in expected:
        steps = {s["name"]: s["value"] for s in trace["steps"]}
        for name, value in expected["steps"].items():
            assert steps[name] == value, name
    _assert_json_trace(result, case["rule"])


def test_case_names_are_unique() -> None:
    names = [case["name"] for case in TABLE["cases"]]
    assert len(names) == len(set(names))


# ------------------------------------------------------------------------- inputs the rules refuse


def test_medical_refuses_floats() -> None:
    with pytest.raises(RuleInputError) as raised:
        medical_reimbursement(
            "orphan",
            "outpatient",
            date(2025, 3, 1),
            100.0,  # type: ignore[arg-type]
            Decimal("0.00"),
            Decimal("0.00"),
            SEED,
        )
    assert raised.value.field == "bill_total"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "migrant"}, "category"),
        ({"school_stage": "kindergarten"}, "school_stage"),
        ({"status": "suspended"}, "status"),
        ({"status": "revoked"}, "revoked_on"),
        ({"revoked_on": date(2019, 12, 31), "status": "revoked"}, "revoked_on"),
        ({"approved_on": date(2009, 1, 1)}, "approved_on"),
        ({"approved_on": None}, "approved_on"),
        ({"status": "pending"}, "status"),
        ({"birth_date": datetime(2010, 1, 1, 8, 0)}, "birth_date"),
    ],
)
def test_child_facts_refuse_contradictions(changes: dict[str, Any], field: str) -> None:
    facts: dict[str, Any] = {
        "category": "orphan",
        "birth_date": date(2010, 1, 1),
        "approved_on": date(2020, 1, 1),
        **changes,
    }
    with pytest.raises(RuleInputError) as raised:
        ChildFacts(**facts)
    assert raised.value.field == field


def test_year_month() -> None:
    assert str(YearMonth.parse("2025-07")) == "2025-07"
    assert YearMonth(2025, 12).next() == YearMonth(2026, 1)
    assert YearMonth(2025, 6) < YearMonth(2025, 7) < YearMonth(2026, 1)
    assert YearMonth.coerce(date(2025, 7, 1)).first_day == date(2025, 7, 1)
    with pytest.raises(RuleInputError):
        YearMonth.parse("2025-13")
    with pytest.raises(RuleInputError):
        YearMonth.parse("2025-7")


# ------------------------------------------------------------------------------ the parameter seed

BINDING = [
    ("living_allowance.standard", Decimal("2650.00")),
    ("living_allowance.poor_family_ratio", Decimal("0.40")),
    ("medical.orphan.outpatient_ratio", Decimal("1.00")),
    ("medical.orphan.inpatient_ratio", Decimal("1.00")),
    ("medical.de_facto_unsupported.outpatient_ratio", Decimal("0.80")),
    ("medical.de_facto_unsupported.inpatient_ratio", Decimal("0.85")),
    ("education_grant.orphan", Decimal("10000.00")),
    ("education_grant.de_facto_unsupported", Decimal("8000.00")),
]


@pytest.mark.parametrize(("key", "value"), BINDING)
def test_seed_binding_values(key: str, value: Decimal) -> None:
    in_force = SEED.at(key, date(2023, 7, 1))
    assert in_force.decimal == value
    assert str(in_force.value) == str(value)  # the written form too: "2650.00", "0.40"
    assert in_force.effective_from == date(2023, 7, 1)


def test_seed_stages_and_holidays() -> None:
    stages = SEED.at("education_grant.eligible_stages", date(2025, 9, 1))
    assert stages.strings == (
        "senior_secondary",
        "secondary_vocational",
        "higher_vocational",
        "undergraduate",
    )
    assert "rule we set" in stages.reference
    for key in ("holiday.spring_festival", "holiday.childrens_day"):
        holiday = SEED.at(key, date(2025, 1, 1))
        assert "demo" in holiday.reference
        assert holiday.note is not None
        assert "DEMO" in holiday.note


def test_seed_covers_every_key_and_cites_sources() -> None:
    assert {value.key for value in SEED} == set(KNOWN_PARAMETERS)
    assert len(SEED) == len(KNOWN_PARAMETERS)
    assert (
        "京民儿福发〔2023〕246号"
        in SEED.at("living_allowance.standard", date(2025, 1, 1)).reference
    )
    for value in SEED:
        assert any(
            source in value.reference for source in ("大兴区民政局答复", "rule we set", "demo")
        ), value.key


def test_at_takes_the_latest_value_on_or_before_the_date() -> None:
    params = SEED.with_values(
        ParameterValue.parse("living_allowance.standard", "2800.00", "2025-07-01", "test"),
        ParameterValue.parse("living_allowance.standard", "2950.00", "2027-07-01", "test"),
    )
    standard = "living_allowance.standard"
    assert params.at(standard, date(2025, 6, 30)).decimal == Decimal("2650.00")
    assert params.at(standard, date(2025, 7, 1)).decimal == Decimal("2800.00")
    assert params.at(standard, date(2027, 6, 30)).decimal == Decimal("2800.00")
    assert params.at(standard, date(2040, 1, 1)).decimal == Decimal("2950.00")
    assert [v.effective_from.year for v in params.history(standard)] == [2023, 2025, 2027]
    assert len(SEED.history(standard)) == 1  # with_values leaves the original alone
    with pytest.raises(ParameterNotInForce) as raised:
        params.at(standard, date(2023, 6, 30))
    assert raised.value.key == standard
    assert "2023-06-30" in str(raised.value)


def test_at_refuses_unknown_keys_and_datetimes() -> None:
    with pytest.raises(ParameterError) as unknown:
        SEED.at("living_allowance.standrad", date(2025, 1, 1))
    assert unknown.value.field == "key"
    with pytest.raises(ParameterError) as with_time:
        SEED.at("living_allowance.standard", datetime(2025, 1, 1, 12, 0))
    assert with_time.value.field == "on"


def _entry(key: str, value: str, effective_from: str = "2025-07-01", rest: str = "") -> str:
    return (
        f"parameters:\n  - key: {key}\n    value: {value}\n"
        f"    effective_from: {effective_from}\n    reference: test\n{rest}"
    )


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (_entry("living_allowance.standard", "2650.00"), "parameters[0].value"),  # a YAML float
        (_entry("living_allowance.standard", "2650"), "parameters[0].value"),
        (_entry("living_allowance.standard", '"2650.0"'), "parameters[0].value"),
        (_entry("living_allowance.standard", '"2650.000"'), "parameters[0].value"),
        (_entry("living_allowance.standard", '"-1.00"'), "parameters[0].value"),
        (_entry("living_allowance.standard", '"NaN"'), "parameters[0].value"),
        (_entry("living_allowance.poor_family_ratio", '"1.01"'), "parameters[0].value"),
        (_entry("living_allowance.poor_family_ratio", '"-0.01"'), "parameters[0].value"),
        (_entry("living_allowance.poor_family_ratio", '"forty"'), "parameters[0].value"),
        (_entry("education_grant.eligible_stages", "[college]"), "parameters[0].value"),
        (_entry("education_grant.eligible_stages", "[]"), "parameters[0].value"),
        (
            _entry("education_grant.eligible_stages", "[undergraduate, undergraduate]"),
            "parameters[0].value",
        ),
        (_entry("education_grant.eligible_stages", '"undergraduate"'), "parameters[0].value"),
        (_entry("living_allowance.standrad", '"2650.00"'), "parameters[0].key"),
        (
            _entry("living_allowance.standard", '"2650.00"', '"2025-13-01"'),
            "parameters[0].effective_from",
        ),
        (_entry("living_allowance.standard", '"2650.00"', "2025-13-01"), "parameters"),
        (_entry("living_allowance.standard", '"2650.00"', rest="    source: x\n"), "parameters[0]"),
        (
            _entry("living_allowance.standard", '"2650.00"').replace(
                "reference: test", 'reference: ""'
            ),
            "parameters[0].reference",
        ),
        (
            _entry("living_allowance.standard", '"2650.00"').replace("    reference: test\n", ""),
            "parameters[0]",
        ),
        ("parameters: {}\n", "parameters"),
        ("parameters: [\n", "parameters"),
        (
            _entry("living_allowance.standard", '"2650.00"')
            + _entry("living_allowance.standard", '"2700.00"').removeprefix("parameters:\n"),
            "effective_from",
        ),
    ],
)
def test_invalid_parameter_yaml_names_the_field(text: str, field: str) -> None:
    with pytest.raises(ParameterError) as raised:
        ParameterSet.from_yaml(text)
    assert raised.value.field == field
    assert CHINESE.search(raised.value.message)


# ---------------------------------------------------------------------------------- properties


@st.composite
def claims(draw: st.DrawFn) -> tuple[Decimal, Decimal, Decimal]:
    """A bill and two payments in fen that together do not exceed it."""
    bill = draw(st.integers(min_value=0, max_value=10**10))
    basic = draw(st.integers(min_value=0, max_value=bill))
    other = draw(st.integers(min_value=0, max_value=bill - basic))
    return from_fen(bill), from_fen(basic), from_fen(other)


@settings(deadline=None)
@given(
    claim=claims(),
    category=st.sampled_from(CATEGORIES),
    kind=st.sampled_from(MEDICAL_KINDS),
    ratio=st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4)),
    service_date=st.dates(min_value=date(2023, 7, 1), max_value=date(2035, 12, 31)),
)
def test_reimbursable_is_never_negative_nor_above_the_remainder(
    claim: tuple[Decimal, Decimal, Decimal],
    category: Category,
    kind: MedicalKind,
    ratio: Decimal,
    service_date: date,
) -> None:
    bill, basic, other = claim
    key = f"medical.{category}.{kind}_ratio"
    params = SEED
    if key in KNOWN_PARAMETERS:  # an arbitrary ratio in [0, 1] from 2030 on
        params = SEED.with_values(ParameterValue(key, ratio, date(2030, 1, 1), "test"))
    result = medical_reimbursement(category, kind, service_date, bill, basic, other, params)
    remainder = bill - basic - other
    assert Decimal("0.00") <= result.amount <= remainder
    assert result.amount == round_fen(result.amount)
    if key in KNOWN_PARAMETERS:
        used = params.at(key, service_date).decimal
        assert result.amount == round_fen(used * remainder)
    else:
        assert result.amount == Decimal("0.00")


@settings(deadline=None)
@given(claim=claims(), excess=st.integers(min_value=1, max_value=10**6))
def test_payments_above_the_bill_are_refused(
    claim: tuple[Decimal, Decimal, Decimal], excess: int
) -> None:
    bill, basic, _ = claim
    with pytest.raises(RuleInputError) as raised:
        medical_reimbursement(
            "orphan",
            "inpatient",
            date(2025, 3, 1),
            bill,
            basic,
            bill - basic + from_fen(excess),
            SEED,
        )
    assert raised.value.field == "other_insurance_paid"


@settings(deadline=None)
@given(
    standard=st.integers(min_value=0, max_value=10**8).map(from_fen),
    ratio=st.integers(min_value=0, max_value=100).map(lambda n: Decimal(n).scaleb(-2)),
)
def test_poor_family_allowance_follows_the_standard(standard: Decimal, ratio: Decimal) -> None:
    params = SEED.with_values(
        ParameterValue("living_allowance.standard", standard, date(2030, 1, 1), "test"),
        ParameterValue("living_allowance.poor_family_ratio", ratio, date(2030, 1, 1), "test"),
    )
    child = ChildFacts("poor_family_disabled", date(2020, 5, 1), date(2025, 1, 1))
    result = living_allowance(child, YearMonth(2030, 1), params)
    assert result.amount == round_fen(standard * ratio)
    assert Decimal("0.00") <= result.amount <= standard
