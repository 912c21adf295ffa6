"""Small builders of valid child records (synthetic ID numbers with valid check characters)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import httpx

from app.kit import idnumber
from tests.conftest import VILLAGE1

_seq = itertools.count(1)


def new_id(birth: date = date(2015, 3, 4), gender: idnumber.Gender = "male") -> str:
    """A fresh synthetic ID number (a distinct sequence each call)."""
    n = next(_seq)
    return idnumber.make(birth, gender, sequence=n % 500, division_code=f"1101{15 + n // 500:02d}")


def evidence(kind: str = "death_certificate", issued_on: str = "2020-01-05") -> dict[str, Any]:
    """A complete evidence object 证明材料 (kind, number, issuer, issued_on)."""
    return {"kind": kind, "number": "证-2020-001", "issuer": "测试出具机关", "issued_on": issued_on}


# The details each situation needs (a ten-year term, a grade-1 certificate, a listed illness).
DETAILS: dict[str, dict[str, Any]] = {
    "imprisoned": {"term_months": 120},
    "compulsory_drug_rehab": {"term_months": 120},
    "liberty_restricted": {"term_months": 120},
    "severe_disability": {"disability_grade": 1, "disability_kind": "physical"},
    "serious_illness": {"illness": "急性淋巴细胞白血病"},
}


def parent(relation: str, situation: str, since: str, **facts: Any) -> dict[str, Any]:
    """A complete parent's fact: the situation's details and evidence unless given."""
    facts = DETAILS.get(situation, {}) | facts
    facts.setdefault("evidence", evidence(issued_on=since))
    return {"relation": relation, "situation": situation, "since": since, **facts}


ORPHAN_PARENTS = [
    parent("father", "deceased", "2020-01-01"),
    parent("mother", "declared_missing", "2021-05-01", evidence=evidence("court_judgment")),
]


def child_body(**over: Any) -> dict[str, Any]:
    """A valid dispersed orphan in VILLAGE1 unless overridden."""
    body: dict[str, Any] = {
        "name": "测试儿童",
        "id_number": new_id(),
        "category": "orphan",
        "placement": "dispersed",
        "village_code": VILLAGE1,
        "approved_on": "2026-01-10",
        "parents": ORPHAN_PARENTS,
        "guardians": [{"name": "测试监护人", "relation": "祖母", "phone": "13800000000"}],
        "school_stage": "primary",
        "school_name": "测试小学",
        "insurance": {"basic_medical": True, "puhuibao": False, "supplementary": False},
    }
    body.update(over)
    return body


def institution_body(**over: Any) -> dict[str, Any]:
    return child_body(placement="institution", village_code=None, **over)


async def create(client: httpx.AsyncClient, headers: dict[str, str], **over: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/children", json=child_body(**over), headers=headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data
