"""operations: the keyed audit chain, the application's insert-only role, cancelled imports

- `audit_log.key_id`: the id of the audit chain key an entry's hash is an HMAC under (the key
  itself is AUDIT_CHAIN_KEY, held by the application, never by the database). Existing entries
  are NOT re-hashed (the migration does not hold the key): they keep their plain SHA-256 and
  `key_id` NULL, and `audit_chain_state.plain_through_id` marks the last of them; verify-audit
  accepts a plain hash up to that entry only.
- `app_runtime`, a NOLOGIN group role for the application's login role (DATABASE_URL's user;
  the migrations run as the owner, DATABASE_MIGRATION_URL): SELECT, INSERT, UPDATE, DELETE on
  the tables, but only SELECT and INSERT on `audit_log` and only SELECT on `audit_chain_state`
  and `alembic_version`; not the owner, so it cannot disable the append-only triggers either.
  Created here when the migrating role may create roles (the embedded server; CloudNativePG
  declares it as a managed role instead); the grants are made whenever it exists. Tables created
  later by the owner get the same grants (default privileges).
- `screening_imports.status` may be `cancelled` (a district admin cancelled the import);
  `screening_imports.heartbeat_at`, the running import's heartbeat (NULL for existing rows).

Revision ID: 0020_operations
Revises: 0019_casework
Create Date: 2026-12-07 15:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_operations"
down_revision: str | None = "0019_casework"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("key_id", sa.String(length=16), nullable=True))
    op.create_table(
        "audit_chain_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("plain_through_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_state")),
    )
    op.execute(
        "INSERT INTO audit_chain_state (id, plain_through_id) "
        "SELECT 1, coalesce(max(id), 0) FROM audit_log"
    )

    op.add_column(
        "screening_imports",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.drop_constraint(op.f("ck_screening_imports_status"), "screening_imports", type_="check")
    op.create_check_constraint(
        op.f("ck_screening_imports_status"),
        "screening_imports",
        "status IN ('queued','running','done','failed','cancelled')",
    )

    # The role (cluster-wide: created once, by whoever may; concurrent migrations of other
    # databases on the same server may race to create it).
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_runtime')
               AND EXISTS (SELECT FROM pg_roles WHERE rolname = current_user
                           AND (rolsuper OR rolcreaterole)) THEN
                BEGIN
                    CREATE ROLE app_runtime NOLOGIN;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                END;
            END IF;
        END $$
        """
    )
    op.execute(
        """
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_runtime') THEN
                RAISE NOTICE 'role app_runtime does not exist: no grants made';
                RETURN;
            END IF;
            EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO app_runtime',
                           current_database());
            GRANT USAGE ON SCHEMA public TO app_runtime;
            GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO app_runtime;
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO app_runtime;
            GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO app_runtime;
            REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM app_runtime;
            REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_chain_state FROM app_runtime;
            REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM app_runtime;
            ALTER DEFAULT PRIVILEGES IN SCHEMA public
                GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO app_runtime;
            ALTER DEFAULT PRIVILEGES IN SCHEMA public
                GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO app_runtime;
        END $$
        """
    )
    # Nobody but the owner changes the log, whatever PUBLIC was granted.
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")


def downgrade() -> None:
    # The role stays (other databases on the server may use it); its grants here go.
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_runtime') THEN
                ALTER DEFAULT PRIVILEGES IN SCHEMA public
                    REVOKE ALL ON TABLES FROM app_runtime;
                ALTER DEFAULT PRIVILEGES IN SCHEMA public
                    REVOKE ALL ON SEQUENCES FROM app_runtime;
                REVOKE ALL ON ALL TABLES IN SCHEMA public FROM app_runtime;
                REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM app_runtime;
                REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM app_runtime;
                REVOKE USAGE ON SCHEMA public FROM app_runtime;
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM app_runtime',
                               current_database());
            END IF;
        END $$
        """
    )
    op.execute("UPDATE screening_imports SET status = 'failed' WHERE status = 'cancelled'")
    op.drop_constraint(op.f("ck_screening_imports_status"), "screening_imports", type_="check")
    op.create_check_constraint(
        op.f("ck_screening_imports_status"),
        "screening_imports",
        "status IN ('queued','running','done','failed')",
    )
    op.drop_column("screening_imports", "heartbeat_at")
    op.drop_table("audit_chain_state")
    op.drop_column("audit_log", "key_id")
