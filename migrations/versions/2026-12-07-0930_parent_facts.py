"""children: parents' facts as 民发〔2019〕62号 defines them; review flags; re-verification dates

A parent's fact now carries the term imposed (服刑在押、强制隔离戒毒、其他限制人身自由的措施
"是指期限在6个月以上"), the disability certificate's grade and kind (重残 "一级二级残疾或三级四级
精神、智力残疾"), the illness (重病, against the district's `serious_illness_list`), and its evidence
as an object {kind, number, issuer, issued_on}.

Existing records keep working: each child's facts are carried over (a free-text evidence becomes
an evidence object of kind `other` keeping the text as its note; nothing is invented), and a
child whose category no longer holds under the precise rule is flagged for review in
`review_flags` with the reason — never re-classified. `reverify_on` is the earliest day the
category needs a new look (a term's end, a yearly review, the day it was flagged). The seed of
the serious-illness list is added to subsidy_standards where it is missing.

Revision ID: 0017_parent_facts
Revises: edge_webhook_pending_url
Create Date: 2026-12-07 09:30:00+00:00
"""

import json
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017_parent_facts"
down_revision: str | None = "edge_webhook_pending_url"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ILLNESS_LIST = "serious_illness_list"


def upgrade() -> None:
    from app.children.rules import carry_over
    from app.subsidies.standards import seed_rows

    op.add_column(
        "children",
        sa.Column(
            "review_flags",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
    )
    op.add_column("children", sa.Column("reverify_on", sa.Date(), nullable=True))
    op.create_index(
        "ix_children_reverify_on",
        "children",
        ["reverify_on", "id"],
        postgresql_where=sa.text("status = 'active' AND reverify_on IS NOT NULL"),
    )
    bind = op.get_bind()
    standards = sa.table(
        "subsidy_standards",
        sa.column("key", sa.String),
        sa.column("value", postgresql.JSONB),
        sa.column("effective_from", sa.Date),
        sa.column("reference", sa.Text),
        sa.column("note", sa.Text),
        sa.column("retroactive", sa.Boolean),
        sa.column("source", sa.String),
    )
    rows = [r for r in seed_rows() if r["key"] == ILLNESS_LIST]
    if rows:
        bind.execute(
            postgresql.insert(standards)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["key", "effective_from"])
        )
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    listed = bind.execute(
        sa.text(
            "SELECT value FROM subsidy_standards WHERE key = :k AND effective_from <= :d "
            "ORDER BY effective_from DESC LIMIT 1"
        ),
        {"k": ILLNESS_LIST, "d": today},
    ).scalar_one_or_none()
    illnesses = tuple(listed) if isinstance(listed, list) else None
    children = bind.execute(
        sa.text(
            "SELECT id, category, status, parents, household_assistance, serious_illness, "
            "disability FROM children"
        )
    ).mappings()
    updates = []
    for child in children:
        parents, flags, reverify = carry_over(dict(child), today, illnesses)
        if parents == child["parents"] and not flags and reverify is None:
            continue
        updates.append(
            {
                "id": child["id"],
                "parents": json.dumps(parents, ensure_ascii=False),
                "flags": json.dumps(flags, ensure_ascii=False),
                "reverify": reverify,
            }
        )
    if updates:
        bind.execute(
            sa.text(
                "UPDATE children SET parents = CAST(:parents AS jsonb), "
                "review_flags = CAST(:flags AS jsonb), reverify_on = :reverify, "
                "version = version + 1, updated_at = now() WHERE id = :id"
            ),
            updates,
        )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
