"""One glossary (issue 29): every code the service shows has a label, spelt in one place.

The dashboard said 贫困家庭重残儿童 and 机构养育 where the exports said 贫困家庭残疾儿童 and 机构供养.
Now `app/kit/glossary.py` holds the labels; these tests fail when a code of the service's
vocabularies has no label there, or when any other file of `app/` (Python, JavaScript, HTML)
spells a glossary code of the policy's terms differently.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from app.kit import glossary
from app.kit.vocab import CATEGORIES, CHILD_SCHOOL_STAGES, GRANT_SCHOOL_STAGES, PLACEMENTS
from app.models.areas import AREA_LEVELS
from app.models.children import STATUSES
from app.models.incidents import INCIDENT_STATUSES
from app.models.screening import SCREENING_CLASSIFICATIONS
from app.models.visits import DIFFICULTY_KINDS, FOLLOW_UP_STATUSES

APP = Path(__file__).resolve().parents[2] / "app"

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "placement": PLACEMENTS,
    "school_stage": (*CHILD_SCHOOL_STAGES, *GRANT_SCHOOL_STAGES),
    "child_status": STATUSES,
    "incident_status": INCIDENT_STATUSES,
    "classification": SCREENING_CLASSIFICATIONS,
    "difficulty": DIFFICULTY_KINDS,
    "follow_up_status": FOLLOW_UP_STATUSES,
    "area_level": AREA_LEVELS,
}

# The policy's own terms: a code of these groups means one thing wherever it appears, so any
# `code: "中文"` in the tree must be the glossary's label.
POLICY_TERMS = ("category", "placement", "school_stage", "benefit", "household_assistance")
LITERAL = re.compile(
    r"""["']?\b([a-z][a-z0-9_]+)\b["']?\s*:\s*["']([^"'\n]*[\u4e00-\u9fff][^"'\n]*)["']"""
)


def test_every_code_of_the_vocabularies_has_a_chinese_and_an_english_label() -> None:
    for group, codes in VOCABULARIES.items():
        for code in codes:
            assert code in glossary.GLOSSARY[group], f"{group}.{code} has no label"
    for group, entries in glossary.GLOSSARY.items():
        for code, (zh, en) in entries.items():
            assert zh.strip(), f"{group}.{code}"
            assert en.strip(), f"{group}.{code}"
            assert re.search(r"[\u4e00-\u9fff]", zh), f"{group}.{code}: {zh}"
    assert glossary.zh("category", "poor_family_disabled") == "贫困家庭残疾儿童"
    assert glossary.en("placement", "institution") == "In the welfare institute"
    assert glossary.zh("category", "unknown") == "unknown"


def test_no_file_spells_a_policy_term_differently() -> None:
    terms = {
        code: zh for group in POLICY_TERMS for code, (zh, _) in glossary.GLOSSARY[group].items()
    }
    wrong = []
    for path in sorted(APP.rglob("*")):
        if path.suffix not in (".py", ".js", ".html") or path.name == "glossary.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for code, zh in LITERAL.findall(line):
                if code in terms and zh != terms[code]:
                    wrong.append(f"{path.relative_to(APP)}:{number}: {code} → {zh} ≠ {terms[code]}")
    assert wrong == []


async def test_the_dashboard_loads_its_labels_from_the_glossary(client: httpx.AsyncClient) -> None:
    page = await client.get("/dashboard")
    assert '<script src="/dashboard/glossary.js" defer></script>' in page.text
    assert page.text.index("/dashboard/glossary.js") < page.text.index('dashboard.js"')
    r = await client.get("/dashboard/glossary.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert '"poor_family_disabled": {"zh": "贫困家庭残疾儿童"' in r.text
    assert '"institution": {"zh": "机构供养"' in r.text
    js = (APP / "static" / "dashboard" / "dashboard.js").read_text(encoding="utf-8")
    assert "贫困家庭重残儿童" not in js
    assert "机构养育" not in js
