"""city: incidents from before the city get their child's area, so their events find a district

An incident's `area_code` (the child's village, else the reporter's area) says which district's
staff and agency clients it belongs to. Rows written before every report carried an area may
have none: their referrals' webhooks went to every client of the agency, in every district, and
no district's office could read them. An incident with a ledger child takes the child's place:
the child's village, else the child's district (`children.district_code`, kept by a trigger:
an institute child's is its institute's district). The rows changed are bumped (`version`,
`updated_at`) so readers syncing by `updated_since` see them. What still has no area (a minor
not on the ledger, reported by someone without an area) stays so: its events go to the city's
clients only.

Revision ID: 0024_incident_districts
Revises: 0024_programmes_districts
Create Date: 2026-12-07 22:20:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024_incident_districts"
down_revision: str | None = "0024_programmes_districts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE incidents AS i
           SET area_code = COALESCE(c.village_code, c.district_code),
               version = i.version + 1,
               updated_at = now()
          FROM children AS c
         WHERE c.id = i.child_id
           AND i.area_code IS NULL
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
