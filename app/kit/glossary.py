"""The glossary: every code the service shows to people, with its Chinese and English label.

One place for the words. The API's `*_zh` labels, error messages, the spreadsheet exports, the
upload templates and the dashboard (`GET /dashboard/glossary.json`) all read their labels here,
so a category is spelt the same everywhere (issue 29: the dashboard said 贫困家庭重残儿童 and
机构养育 where the exports said 贫困家庭残疾儿童 and 机构供养). The Chinese labels are the policy's
own terms (`../shared/domain.md`). Areas (towns, villages) are data, not glossary.

`tests/kit/test_glossary.py` fails when a code of the service's vocabularies has no label here,
or when another file of `app/` spells a glossary code differently.

Use:
- `zh("category", "orphan")` → 孤儿; `en(...)` the English; an unknown code comes back as itself;
- `zh_map("category")` → {code: 中文} (what the old `CATEGORY_ZH` dictionaries were);
- `label(group, code, lang)` for a request's language.
"""

from __future__ import annotations

from typing import Final

Entry = tuple[str, str]
"""(中文, English)"""

GLOSSARY: Final[dict[str, dict[str, Entry]]] = {
    # -- children and the ledger
    "category": {
        "orphan": ("孤儿", "Orphan"),
        "de_facto_unsupported": ("事实无人抚养儿童", "De facto unsupported child"),
        "poor_family_seriously_ill": ("贫困家庭重病儿童", "Seriously ill child of a poor family"),
        "poor_family_disabled": ("贫困家庭残疾儿童", "Disabled child of a poor family"),
    },
    "placement": {
        "dispersed": ("社会散居", "Dispersed in society"),
        "institution": ("机构供养", "In the welfare institute"),
    },
    "gender": {"male": ("男", "Male"), "female": ("女", "Female")},
    "child_status": {
        "active": ("在册", "On the ledger"),
        "continued_schooling": ("在册（年满18周岁仍在校）", "On the ledger (18+, in school)"),
        "revoked": ("已退出", "Revoked"),
    },
    "school_stage": {
        "not_in_school": ("未在校", "Not in school"),
        "preschool": ("学前", "Preschool"),
        "primary": ("小学", "Primary"),
        "junior_secondary": ("初中", "Junior secondary"),
        "senior_secondary": ("高中", "Senior secondary"),
        "secondary_vocational": ("中职", "Secondary vocational"),
        "higher_vocational": ("高职", "Higher vocational"),
        "undergraduate": ("本科", "Undergraduate"),
        "postgraduate": ("研究生", "Postgraduate"),
    },
    "household_assistance": {
        "none": ("无", "None"),
        "subsistence": ("低保", "Subsistence allowance"),
        "low_income": ("低收入", "Low income"),
        "extreme_poverty": ("特困", "Extreme poverty"),
    },
    "movement": {
        "created": ("新增", "Addition"),
        "changed": ("变更", "Change"),
        "revoked": ("撤销", "Revocation"),
    },
    # The fields of a child's record, as a ledger change names them (学校名称：演示学校 → 演示中学).
    "child_field": {
        "name": ("姓名", "Name"),
        "id_number": ("身份证号码", "ID number"),
        "gender": ("性别", "Gender"),
        "birth_date": ("出生日期", "Date of birth"),
        "category": ("类别", "Category"),
        "placement": ("供养方式", "Placement"),
        "town_code": ("镇街", "Town"),
        "village_code": ("村居", "Village"),
        "approved_on": ("批准日期", "Approved on"),
        "guardians": ("监护人", "Guardians"),
        "household_assistance": ("家庭救助类型", "Household assistance"),
        "serious_illness": ("重病情况", "Serious illness"),
        "disability": ("残疾情况", "Disability"),
        "school_stage": ("就学阶段", "School stage"),
        "school_name": ("学校名称", "School name"),
        "school_enrolment_year": ("入学年份", "Year of enrolment"),
        "school_expected_end_on": ("预计毕业日期", "Expected end of schooling"),
        "insurance": ("参保情况", "Insurance"),
        "parents": ("父母情况", "Parents"),
        "status": ("状态", "Status"),
        "reason": ("原因", "Reason"),
    },
    # -- money
    "benefit": {
        "living_allowance": ("生活补贴", "Living allowance"),
        "medical_reimbursement": ("医疗报销", "Medical reimbursement"),
        "education_grant": ("助学金", "Education grant"),
        "holiday_condolence": ("节日慰问", "Holiday condolence"),
        "adult_orphan_placement": ("成年孤儿安置", "Adult-orphan placement"),
    },
    "payroll_line_kind": {
        "regular": ("正常发放", "Regular"),
        "adjustment": ("补发/扣减", "Adjustment"),
    },
    # -- mandatory reporting
    "incident_status": {
        "draft": ("草稿", "Draft"),
        "reported": ("已报告", "Reported"),
        "acknowledged": ("已受理", "Acknowledged"),
        "investigating": ("调查中", "Investigating"),
        "intervening": ("干预中", "Intervening"),
        "closed": ("已结案", "Closed"),
    },
    "incident_kind": {
        "sexual_abuse": ("性侵害", "Sexual abuse"),
        "physical_abuse": ("身体伤害", "Physical abuse"),
        "bullying": ("欺凌", "Bullying"),
        "unexplained_injury": ("不明原因伤害", "Unexplained injury"),
        "neglect": ("疏于照料", "Neglect"),
        "abandonment": ("遗弃", "Abandonment"),
        "trafficking": ("拐卖", "Trafficking"),
        "begging": ("流浪乞讨", "Begging"),
        "self_harm": ("自伤自残", "Self-harm"),
        "minor_pregnancy": ("未成年人怀孕", "Pregnancy of a minor"),
        "domestic_violence": ("家庭暴力", "Domestic violence"),
        "other": ("其他", "Other"),
    },
    "agency": {
        "police": ("公安", "Police"),
        "health": ("卫健", "Health"),
        "education": ("教育", "Education"),
        "disabled_federation": ("残联", "Disabled persons' federation"),
        "women_federation": ("妇联", "Women's federation"),
        "charity": ("慈善协会", "Charity association"),
    },
    # -- visits
    "difficulty": {
        "living": ("生活", "Living"),
        "medical": ("医疗", "Medical"),
        "education": ("教育", "Education"),
        "guardianship": ("监护", "Guardianship"),
        "psychological": ("心理", "Psychological"),
        "other": ("其他", "Other"),
    },
    "follow_up_status": {
        "open": ("待处理", "Open"),
        "in_progress": ("处理中", "In progress"),
        "resolved": ("已办结", "Resolved"),
        "referred": ("已转介", "Referred"),
    },
    # -- screening
    "classification": {
        "migrant": ("流动儿童", "Migrant child"),
        "left_behind": ("留守儿童", "Left-behind child"),
        "neither": ("其他", "Neither"),
    },
    # -- the second wave's programmes (their packages read these through `zh_map`)
    "staff_role": {
        "town_supervisor": ("儿童督导员", "Child supervisor"),
        "village_director": ("儿童主任", "Child director"),
        "institution_staff": ("福利院工作人员", "Institute staff"),
        "protection_staff": ("保护中心工作人员", "Protection centre staff"),
        "counsellor": ("心理咨询师", "Counsellor"),
        "case_worker": ("社会工作者", "Case worker"),
    },
    "service_mode": {
        "home_visit": ("入户", "Home visit"),
        "office": ("机构面谈", "At the office"),
        "phone": ("电话", "Phone"),
        "online": ("线上", "Online"),
        "group": ("小组活动", "Group"),
    },
    "care_domain": {
        "care": ("养（生活照料）", "Care"),
        "treatment": ("治（医疗）", "Treatment"),
        "education": ("教（教育）", "Education"),
        "rehabilitation": ("康（康复）", "Rehabilitation"),
    },
    "institute_activity": {
        "outing": ("外出活动", "Outing"),
        "class": ("课堂", "Class"),
        "festival_visit": ("节日慰问", "Festival visit"),
        "other": ("其他", "Other"),
    },
    "counselling_risk": {
        "self_harm": ("自伤风险", "Risk of self-harm"),
        "abuse_disclosure": ("披露受侵害", "Disclosure of abuse"),
        "other": ("其他风险", "Other risk"),
    },
    "community_activity": {
        "reading": ("阅读", "Reading"),
        "study": ("学业辅导", "Study support"),
        "arts": ("文艺", "Arts"),
        "sports": ("体育", "Sports"),
        "outing": ("外出参观", "Outing"),
        "festival": ("节日活动", "Festival"),
        "safety": ("安全教育", "Safety education"),
        "other": ("其他", "Other"),
    },
    # -- medical insurance (app/insurance/)
    "insurance_scheme": {
        "basic_medical": ("城乡居民基本医疗保险", "Basic medical insurance"),
        "puhuibao": ("普惠保", "Puhuibao"),
        "supplementary": ("补充医疗保险", "Supplementary medical insurance"),
    },
    "insurance_status": {
        "due": ("待参保", "Due"),
        "submitted": ("已报送", "Submitted"),
        "enrolled": ("已参保", "Enrolled"),
        "refused_by_insurer": ("承保方拒保", "Refused by the insurer"),
        "not_required": ("无需参保", "Not required"),
    },
    # -- people and areas
    "area_level": {
        "city": ("市", "City"),
        "district": ("区", "District"),
        "town": ("镇街", "Town"),
        "village": ("村居", "Village"),
    },
}


def zh(group: str, code: str) -> str:
    """The Chinese label of `code` in `group`; the code itself when it has none."""
    entry = GLOSSARY.get(group, {}).get(code)
    return entry[0] if entry else code


def en(group: str, code: str) -> str:
    """The English label of `code` in `group`; the code itself when it has none."""
    entry = GLOSSARY.get(group, {}).get(code)
    return entry[1] if entry else code


def label(group: str, code: str, lang: str = "zh") -> str:
    return en(group, code) if lang == "en" else zh(group, code)


def zh_map(group: str) -> dict[str, str]:
    """{code: 中文} of a group (a fresh dict: callers may not change the glossary)."""
    return {code: entry[0] for code, entry in GLOSSARY[group].items()}


def as_json() -> dict[str, dict[str, dict[str, str]]]:
    """The glossary for the dashboard: {group: {code: {"zh": ..., "en": ...}}}."""
    return {
        group: {code: {"zh": z, "en": e} for code, (z, e) in codes.items()}
        for group, codes in GLOSSARY.items()
    }
