"""visits, follow-ups, quality flags, village centroids and the sync change log

The change log is fed by triggers on `children` (owned by the ledger), `visits` and `follow_ups`:
every INSERT or UPDATE appends one row, in the writing transaction, with that transaction's id
(`pg_current_xact_id()`), so the sync cursor can tell which changes a snapshot may not yet see.
The child's area before and after (NULL = the institute) lets a caller learn that a child left
their jurisdiction.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 03:30:42.358581+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_changes",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("entity", sa.String(length=12), nullable=False),
        sa.Column("area_old", sa.String(length=12), nullable=True),
        sa.Column("area_new", sa.String(length=12), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sync_changes")),
    )
    op.create_index("ix_sync_changes_xid", "sync_changes", ["xid"], unique=False)
    op.create_table(
        "area_locations",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["areas.code"], name=op.f("fk_area_locations_code_areas")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_area_locations")),
    )
    op.create_table(
        "visits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visit_month", sa.Date(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("findings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("difficulties", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("suspected_infringement", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("notes_hash", sa.String(length=32), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("photos", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("village_code", sa.String(length=12), nullable=True),
        sa.Column("visitor_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_name", sa.String(length=100), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "mode IN ('home','phone','school','institution')", name=op.f("ck_visits_mode")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_visits_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visits")),
    )
    op.create_index("ix_visits_child_visited", "visits", ["child_id", "visited_at"], unique=False)
    op.create_index("ix_visits_month_child", "visits", ["visit_month", "child_id"], unique=False)
    op.create_index(
        "ix_visits_notes_hash",
        "visits",
        ["notes_hash"],
        unique=False,
        postgresql_where=sa.text("notes_hash IS NOT NULL"),
    )
    op.create_index(
        "ix_visits_suspected",
        "visits",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("suspected_infringement"),
    )
    op.create_index("ix_visits_updated", "visits", ["updated_at", "id"], unique=False)
    op.create_index(
        "ix_visits_visitor_visited", "visits", ["visitor_id", "visited_at"], unique=False
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("town_code", sa.String(length=12), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("referred_to", sa.String(length=200), nullable=True),
        sa.Column("history", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('living','medical','education','guardianship','psychological','other')",
            name=op.f("ck_follow_ups_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open','in_progress','resolved','referred')",
            name=op.f("ck_follow_ups_status"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_follow_ups_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_follow_ups_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
    )
    op.create_index("ix_follow_ups_child", "follow_ups", ["child_id"], unique=False)
    op.create_index(
        "ix_follow_ups_open_due",
        "follow_ups",
        ["due_on"],
        unique=False,
        postgresql_where=sa.text("status IN ('open','in_progress')"),
    )
    op.create_index(
        "ix_follow_ups_town_status", "follow_ups", ["town_code", "status"], unique=False
    )
    op.create_index("ix_follow_ups_visit", "follow_ups", ["visit_id"], unique=False)
    op.create_table(
        "visit_flags",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("visitor_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('burst','copied_notes','far_location')", name=op.f("ck_visit_flags_kind")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_visit_flags_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_visit_flags_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_flags")),
    )
    op.create_index("uq_visit_flags_visit_kind", "visit_flags", ["visit_id", "kind"], unique=True)

    op.execute(
        """
        CREATE FUNCTION sync_child_area(p_placement text, p_village text) RETURNS text
        LANGUAGE sql IMMUTABLE AS $$
            SELECT CASE WHEN p_placement = 'institution' THEN NULL ELSE p_village END
        $$;
        """
    )
    op.execute(
        """
        CREATE FUNCTION sync_log_child() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_area text;
            new_area text := sync_child_area(NEW.placement, NEW.village_code);
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                old_area := sync_child_area(OLD.placement, OLD.village_code);
            ELSE
                old_area := new_area;
            END IF;
            INSERT INTO sync_changes (xid, child_id, entity, area_old, area_new)
            VALUES (pg_current_xact_id()::text::bigint, NEW.id, 'child', old_area, new_area);
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        """
        CREATE FUNCTION sync_log_child_record() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            area text;
        BEGIN
            SELECT sync_child_area(c.placement, c.village_code) INTO area
            FROM children c WHERE c.id = NEW.child_id;
            INSERT INTO sync_changes (xid, child_id, entity, area_old, area_new)
            VALUES (pg_current_xact_id()::text::bigint, NEW.child_id, TG_ARGV[0], area, area);
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        """
        CREATE TRIGGER children_sync_log AFTER INSERT OR UPDATE ON children
            FOR EACH ROW EXECUTE FUNCTION sync_log_child();
        """
    )
    op.execute(
        """
        CREATE TRIGGER visits_sync_log AFTER INSERT OR UPDATE ON visits
            FOR EACH ROW EXECUTE FUNCTION sync_log_child_record('visit');
        """
    )
    op.execute(
        """
        CREATE TRIGGER follow_ups_sync_log AFTER INSERT OR UPDATE ON follow_ups
            FOR EACH ROW EXECUTE FUNCTION sync_log_child_record('follow_up');
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only migrations")
