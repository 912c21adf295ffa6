"""incidents: the nine statutory situations of the 2020 opinion, inferred for existing reports

A mandatory report now names the situations of the 2020 opinion on mandatory reporting
(《关于建立侵害未成年人案件强制报告制度的意见（试行）》 art. 4) it falls under, in
`incidents.situations` (codes; at least one once reported). Reports filed before had only
descriptive `kinds`; this migration maps them to situations and marks the result
`situations_inferred` — a reading of the kinds, not the reporter's statement:

- physical_abuse, bullying, domestic_violence, unexplained_injury → injuries_suggesting_violence
- self_harm → disability_or_death_by_harm
- neglect, abandonment → abandonment_or_no_care
- trafficking → unknown_origin_missing_or_trafficked
- begging → organised_begging
- sexual_abuse or minor_pregnancy of a girl under 14 (on the day of discovery) →
  girl_under_14_sexual_assault_or_pregnancy; sexual_abuse with minor_pregnancy of a girl of 14 or
  over → girl_14_plus_pregnancy_after_assault; otherwise (a boy, an unknown age, a pregnancy
  without assault, an assault without pregnancy) → other_serious_harm
- other, and anything else → other_serious_harm

The child's gender and birth date come from the ledger, else from the facts given inline (an
approximate age is taken as it was given). A draft without kinds keeps no situation. Existing
referrals keep the deadline they were sent with; `urgent` is not recomputed.

Revision ID: incident_situations
Revises: 0017_sync_merge
Create Date: 2026-12-07 09:20:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "incident_situations"
down_revision: str | None = "0017_sync_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SITUATIONS = (
    "genital_injury",
    "girl_under_14_sexual_assault_or_pregnancy",
    "girl_14_plus_pregnancy_after_assault",
    "injuries_suggesting_violence",
    "disability_or_death_by_harm",
    "abandonment_or_no_care",
    "unknown_origin_missing_or_trafficked",
    "organised_begging",
    "other_serious_harm",
)
KIND_TO_SITUATION = {
    "physical_abuse": "injuries_suggesting_violence",
    "bullying": "injuries_suggesting_violence",
    "domestic_violence": "injuries_suggesting_violence",
    "unexplained_injury": "injuries_suggesting_violence",
    "self_harm": "disability_or_death_by_harm",
    "neglect": "abandonment_or_no_care",
    "abandonment": "abandonment_or_no_care",
    "trafficking": "unknown_origin_missing_or_trafficked",
    "begging": "organised_begging",
    "other": "other_serious_harm",
}
SEXUAL = frozenset({"sexual_abuse", "minor_pregnancy"})


def infer_situations(kinds: Sequence[str], gender: str | None, age: int | None) -> list[str]:
    """The situations an old report's kinds stand for, in the opinion's order (see above)."""
    found: set[str] = set()
    for kind in kinds:
        if kind in SEXUAL:
            if gender == "female" and age is not None and age < 14:
                found.add("girl_under_14_sexual_assault_or_pregnancy")
            elif gender == "female" and age is not None and SEXUAL.issubset(kinds):
                found.add("girl_14_plus_pregnancy_after_assault")
            else:
                found.add("other_serious_harm")
        else:
            found.add(KIND_TO_SITUATION.get(kind, "other_serious_harm"))
    return [s for s in SITUATIONS if s in found]


def _age(birth: date | None, age: int | None, day: date) -> int | None:
    if birth is None:
        return age
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def upgrade() -> None:
    op.add_column(
        "incidents",
        sa.Column(
            "situations",
            postgresql.ARRAY(sa.String(length=48)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )
    op.add_column(
        "incidents",
        sa.Column(
            "situations_inferred", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            """
SELECT i.id, i.kinds, coalesce(c.gender, i.child_gender) AS gender,
    coalesce(c.birth_date, i.child_birth_date) AS birth,
    CASE WHEN c.id IS NULL THEN i.child_age END AS age,
    (coalesce(i.discovered_at, i.reported_at, i.created_at) AT TIME ZONE 'Asia/Shanghai')::date
        AS day
FROM incidents i LEFT JOIN children c ON c.id = i.child_id
WHERE cardinality(i.kinds) > 0
"""
        )
    ).all()
    updates = [
        {"id": r.id, "situations": infer_situations(r.kinds, r.gender, _age(r.birth, r.age, r.day))}
        for r in rows
    ]
    if updates:
        bind.execute(
            sa.text(
                "UPDATE incidents SET situations = :situations, situations_inferred = true, "
                "version = version + 1 WHERE id = :id"
            ).bindparams(sa.bindparam("situations", type_=postgresql.ARRAY(sa.String()))),
            updates,
        )
    # A report filed without kinds cannot exist (they were required), but the constraint below
    # must hold for every row: such a row is read as "other".
    bind.execute(
        sa.text(
            "UPDATE incidents SET situations = ARRAY['other_serious_harm']::varchar[], "
            "situations_inferred = true, version = version + 1 "
            "WHERE status <> 'draft' AND cardinality(situations) = 0"
        )
    )
    known = ",".join(f"'{s}'" for s in SITUATIONS)
    op.create_check_constraint(
        op.f("ck_incidents_situations_known"),
        "incidents",
        f"situations <@ ARRAY[{known}]::varchar[]",
    )
    op.create_check_constraint(
        op.f("ck_incidents_reported_has_situation"),
        "incidents",
        "status = 'draft' OR cardinality(situations) > 0",
    )
    op.create_index("ix_incidents_situations", "incidents", ["situations"], postgresql_using="gin")


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
