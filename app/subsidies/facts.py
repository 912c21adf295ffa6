"""From a ledger row to what the rules and a payment line need: facts, payee, town, totals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any, Final, cast

from app.children.schooling import normal_end
from app.kit.money import from_fen
from app.kit.vocab import CATEGORY_ZH, GRANT_SCHOOL_STAGES, Category, GrantSchoolStage
from app.subsidies.rules import ChildFacts, YearMonth

INSTITUTION_TOWN_ZH: Final = "区儿童福利院"


def child_facts(row: Any, *, category: str | None = None) -> ChildFacts:
    """The rules' facts of a child row (Child or a row with the same column names).

    The ledger's `not_in_school` (and any stage the rules do not know) is "not in school";
    `category` overrides the row's (the category on the date computed for, from the history,
    or the one a paid month was paid under). `schooling_ends_on` is the normal end of a
    full-time schooling (app/children/schooling.py).
    """
    stage = row.school_stage if row.school_stage in GRANT_SCHOOL_STAGES else None
    return ChildFacts(
        category=cast(Category, category or row.category),
        birth_date=row.birth_date,
        approved_on=row.approved_on,
        revoked_on=row.revoked_on,
        school_stage=cast(GrantSchoolStage | None, stage),
        status=row.status if row.status in ("revoked", "continued_schooling") else "active",
        schooling_ends_on=schooling_ends_on(row),
    )


def schooling_ends_on(row: Any) -> date | None:
    """The normal end of the row's full-time schooling, or None."""
    return normal_end(row.school_stage, row.school_enrolment_year, row.school_expected_end_on)


def facts_json(facts: ChildFacts, row: Any) -> dict[str, Any]:
    """The frozen facts of a line: the rules' facts plus where the child lives."""
    return facts.to_trace() | {"placement": row.placement, "village_code": row.village_code}


def payee(row: Any) -> dict[str, Any]:
    """收款信息: name, masked ID, the guardian and the guardian's bank account (if recorded).

    The ledger's guardians are JSON objects; the account is a guardian's `bank_account`, taken
    from the first guardian who has one (else the first guardian, with no account).
    """
    guardians = [g for g in (row.guardians or []) if isinstance(g, Mapping)]
    chosen = next(
        (g for g in guardians if g.get("bank_account")), guardians[0] if guardians else None
    )
    return {
        "name": row.name,
        "id_number_masked": row.id_number_masked,
        "guardian_name": None if chosen is None else chosen.get("name"),
        "bank_account": None if chosen is None else chosen.get("bank_account") or None,
    }


def town_of(village_code: str | None) -> str | None:
    """The town (镇街) of a village code; None for the institute's children."""
    return village_code[:9] if village_code else None


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def ym(day: date) -> YearMonth:
    return YearMonth(day.year, day.month)


def totals_out(totals: Mapping[str, Any], town_names: Mapping[str, str]) -> dict[str, Any]:
    """Stored totals ({by_category: {cat: [n, fen]}, by_town: {code|"": [n, fen]}}) → the API's."""
    by_category = [
        {
            "category": cat,
            "category_zh": CATEGORY_ZH.get(cast(Category, cat), cat),
            "line_count": n,
            "amount": from_fen(fen),
        }
        for cat, (n, fen) in sorted(totals.get("by_category", {}).items())
    ]
    by_town = [
        {
            "town_code": code or None,
            "town_name": town_names.get(code, code) if code else INSTITUTION_TOWN_ZH,
            "line_count": n,
            "amount": from_fen(fen),
        }
        for code, (n, fen) in sorted(totals.get("by_town", {}).items())
    ]
    return {"by_category": by_category, "by_town": by_town}


class Totals:
    """Running totals of a run by category and by town (fen)."""

    def __init__(self) -> None:
        self.by_category: dict[str, list[int]] = {}
        self.by_town: dict[str, list[int]] = {}
        self.count = 0
        self.fen = 0
        self.adjustment_count = 0
        self.adjustment_fen = 0

    def add(self, category: str, town: str | None, fen: int) -> None:
        self.count += 1
        self.fen += fen
        c = self.by_category.setdefault(category, [0, 0])
        c[0] += 1
        c[1] += fen
        t = self.by_town.setdefault(town or "", [0, 0])
        t[0] += 1
        t[1] += fen

    def to_json(self) -> dict[str, Any]:
        return {"by_category": self.by_category, "by_town": self.by_town}


def with_values(row: Any, **values: Any) -> Any:
    """A child row with some values replaced (a row is immutable)."""
    return SimpleNamespace(**(row._asdict() | values))
