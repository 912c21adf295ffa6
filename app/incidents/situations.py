"""The nine situations of the 2020 opinion on mandatory reporting 强制报告 (domain §6).

《关于建立侵害未成年人案件强制报告制度的意见（试行）》 (2020) lists, in its article 4, the
situations in which staff of bodies in close contact with minors must report at once to the
public security organ. A report names one or more of them by code; the API, the police referral
and the webhook payloads carry each with the opinion's own wording (`text`), so what reaches
the police says in the law's words why it was sent.

`kinds` (sexual_abuse, neglect, …) stay as the reporter's descriptive tags; the situations are
the statutory ground of the report and decide its urgency: situations 1, 2, 3 and 7 (and a
report of immediate danger) are referred with the short acknowledgement deadline
(INCIDENT_URGENT_ACK_SLA_MINUTES).

Situations 2 and 3 are about girls, under 14 and 14 or over: for a child on the ledger, whose
gender and birth date are known, a situation that contradicts them is refused (age in whole
years on the day of discovery). The facts given inline for a minor not on the ledger are a
reporter's estimate and are not held against the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

Situation = Literal[
    "genital_injury",
    "girl_under_14_sexual_assault_or_pregnancy",
    "girl_14_plus_pregnancy_after_assault",
    "injuries_suggesting_violence",
    "disability_or_death_by_harm",
    "abandonment_or_no_care",
    "unknown_origin_missing_or_trafficked",
    "organised_begging",
    "other_serious_harm",
]
SITUATION_CODES: tuple[str, ...] = get_args(Situation)


@dataclass(frozen=True)
class SituationDef:
    code: str
    number: int  # the item of the opinion's article 4
    text: str  # the opinion's wording
    label_en: str
    urgent: bool


_DEFS = (
    (
        "genital_injury",
        "未成年人的生殖器官或隐私部位遭受或疑似遭受非正常损伤的",
        "Abnormal injury, or suspected abnormal injury, of a minor's genitals or private parts",
        True,
    ),
    (
        "girl_under_14_sexual_assault_or_pregnancy",
        "不满十四周岁的女性未成年人遭受或疑似遭受性侵害、怀孕、流产的",
        "A girl under 14 sexually assaulted or suspected to be, pregnant or having miscarried",
        True,
    ),
    (
        "girl_14_plus_pregnancy_after_assault",
        "十四周岁以上女性未成年人遭受或疑似遭受性侵害所致怀孕、流产的",
        "A girl of 14 or over pregnant or having miscarried after (suspected) sexual assault",
        True,
    ),
    (
        "injuries_suggesting_violence",
        "未成年人身体存在多处损伤、严重营养不良、意识不清，存在或疑似存在受到家庭暴力、欺凌、"
        "虐待、殴打或者被人麻醉等情形的",
        "Multiple injuries, severe malnutrition or loss of consciousness suggesting domestic "
        "violence, bullying, abuse, beating or drugging",
        False,
    ),
    (
        "disability_or_death_by_harm",
        "未成年人因自杀、自残、工伤、中毒、被人麻醉、殴打等非正常原因导致伤残、死亡情形的",
        "Disability or death by suicide, self-harm, work injury, poisoning, drugging or beating",
        False,
    ),
    (
        "abandonment_or_no_care",
        "未成年人被遗弃或长期处于无人照料状态的",
        "Abandoned, or left without care for a long time",
        False,
    ),
    (
        "unknown_origin_missing_or_trafficked",
        "发现未成年人来源不明、失踪或者被拐卖、收买的",
        "Of unknown origin, missing, trafficked or bought",
        True,
    ),
    (
        "organised_begging",
        "发现未成年人被组织乞讨的",
        "Organised to beg",
        False,
    ),
    (
        "other_serious_harm",
        "其他严重侵害未成年人身心健康的情形或未成年人正在面临不法侵害危险的",
        "Other serious harm to a minor's physical or mental health, or imminent danger of an "
        "unlawful infringement",
        False,
    ),
)

SITUATIONS: tuple[SituationDef, ...] = tuple(
    SituationDef(code=code, number=n, text=text, label_en=en, urgent=urgent)
    for n, (code, text, en, urgent) in enumerate(_DEFS, start=1)
)
BY_CODE: dict[str, SituationDef] = {s.code: s for s in SITUATIONS}
URGENT_SITUATIONS = frozenset(s.code for s in SITUATIONS if s.urgent)
assert tuple(BY_CODE) == SITUATION_CODES  # the Literal and the table list the same codes

GIRL_UNDER_14 = "girl_under_14_sexual_assault_or_pregnancy"
GIRL_14_PLUS = "girl_14_plus_pregnancy_after_assault"


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day` (a birthday counts from the day itself)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def contradictions(
    situations: Sequence[str], *, gender: str, birth_date: date, on: date
) -> list[tuple[int, str, str]]:
    """(index, zh, en) of each situation the ledger's facts of the child contradict, on `on`."""
    age = age_on(birth_date, on)
    out: list[tuple[int, str, str]] = []
    for index, code in enumerate(situations):
        if code not in (GIRL_UNDER_14, GIRL_14_PLUS):
            continue
        if gender != "female":
            out.append(
                (
                    index,
                    "该情形仅适用于女性未成年人，台账记载该儿童为男性",
                    "This situation is about a girl; the ledger records a boy",
                )
            )
        elif code == GIRL_UNDER_14 and age >= 14:
            out.append(
                (
                    index,
                    f"该情形适用于不满十四周岁的女性未成年人，该儿童发现之日已满 {age} 周岁",
                    f"This situation is about a girl under 14; the child was {age} on the day "
                    "of discovery",
                )
            )
        elif code == GIRL_14_PLUS and age < 14:
            out.append(
                (
                    index,
                    f"该情形适用于十四周岁以上女性未成年人，该儿童发现之日为 {age} 周岁，"
                    "应选择情形二",
                    f"This situation is about a girl of 14 or over; the child was {age} on "
                    "the day of discovery (situation 2 applies)",
                )
            )
    return out


def is_urgent(situations: Sequence[str], immediate_danger: bool) -> bool:
    """Referred with the short acknowledgement deadline: situations 1, 2, 3, 7, or danger."""
    return immediate_danger or bool(URGENT_SITUATIONS.intersection(situations))


def described(codes: Sequence[str]) -> list[dict[str, object]]:
    """The situations as the API shows them: code, the opinion's item number, its wording."""
    return [
        {"code": c, "number": BY_CODE[c].number, "text": BY_CODE[c].text}
        for c in codes
        if c in BY_CODE
    ]
