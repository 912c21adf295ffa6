"""Settings: one pydantic-settings object, read from the environment (and `.env` if present)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SIGNING_KEY = "dev-only-signing-key-change-me-0123456789"
Environment = Literal["development", "test", "production"]


def _dev_key(label: str) -> str:
    """A deterministic key for development only; refused outside it."""
    return base64.b64encode(hashlib.sha256(f"dev-only:{label}".encode()).digest()).decode()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_env: Environment = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Console log lines: `text` (one readable line each) or `json` (one JSON object each, for a
    # log collector); `auto` is text in development, JSON otherwise.
    log_format: Literal["auto", "text", "json"] = "auto"
    graceful_shutdown_seconds: int = 20
    # Build every route's request handling at start-up, not on its first request (see lifespan)
    prebuild_routes: bool = True

    # Database: DATABASE_URL set → that server; unset → the embedded PostgreSQL in DATA_DIR.
    database_url: SecretStr | None = None
    # Migrations (`manage migrate`, MIGRATE_ON_START) connect with this URL when set: the owner
    # of the tables, while DATABASE_URL is the application's role, which may only INSERT and
    # SELECT on the audit log. Unset: DATABASE_URL (or the embedded server's owner).
    database_migration_url: SecretStr | None = None
    data_dir: Path = Path(".data")
    database_pgbouncer: bool = False
    # Connections held open (DB_POOL_SIZE) and opened beyond them for a burst, closed again on
    # return (DB_MAX_OVERFLOW). No overflow by default: under load, overflow connections were
    # opened and closed continually (each a new backend and its prepared statements), about a
    # quarter of a read's CPU; requests wait for one of the pool's instead (issue 30).
    db_pool_size: int = 20
    db_max_overflow: int = 0
    # A streaming replica (docs/read-replicas.md; in Kubernetes CloudNativePG's `-ro` service):
    # set → the reads that tolerate lag (the dashboard, the ledger and report exports, screening
    # statistics, the lists marked lag-tolerant) are answered from it; writes and every other
    # read stay on DATABASE_URL. Unset: everything on the primary. Unreachable (connecting takes
    # longer than DATABASE_READ_CONNECT_TIMEOUT_SECONDS, or fails): the primary answers and the
    # replica is tried again after DATABASE_READ_BACKOFF_SECONDS. DATABASE_READ_MAX_LAG_SECONDS
    # set: a replica whose replay is further behind (checked every few seconds) is not read.
    database_read_url: SecretStr | None = None
    database_read_max_lag_seconds: float | None = Field(default=None, gt=0)
    database_read_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    database_read_backoff_seconds: float = Field(default=10.0, ge=0, le=600)
    migrate_on_start: bool = True
    run_worker_in_process: bool = True
    demo_data: bool = True

    # Secrets
    jwt_signing_key: SecretStr = SecretStr(DEV_SIGNING_KEY)
    encryption_keys: SecretStr = SecretStr("")
    encryption_active_key_id: str = "k1"
    hmac_key: SecretStr = SecretStr("")
    # The audit chain's HMAC key(s) (app/kit/audit_chain.py): `kid:secret[,kid:secret...]`, the
    # first active, each secret >= 32 characters; never stored in the database. Unset: derived
    # from HMAC_KEY (key id h1).
    audit_chain_key: SecretStr = SecretStr("")
    # Signed checkpoints of the audit chain's head, written by the periodic `audit.checkpoint`
    # job (every 5 minutes) into this directory (unset: DATA_DIR/audit-checkpoints) and checked
    # by `python -m app.manage verify-audit`. Put it on storage the database's users cannot
    # write to, and copy it off the cluster.
    audit_checkpoint_dir: Path | None = None
    # Set: the checkpoints go to this S3-compatible bucket instead of the directory (reached
    # with the documents' DOCUMENTS_S3_ENDPOINT_URL, _REGION and credentials; it may be the
    # documents' bucket), one new object per checkpoint under AUDIT_CHECKPOINT_PREFIX, never
    # overwritten. Turn on Object Lock (or at least versioning) on the bucket.
    audit_checkpoint_bucket: str | None = None
    audit_checkpoint_prefix: str = Field(
        default="audit-checkpoints/", pattern=r"^([a-z0-9][a-z0-9_.-]*/)*$"
    )

    access_token_minutes: int = 15
    refresh_token_days: int = 30
    # Failed logins (app/auth/throttle.py): per (username, client address), the first
    # LOGIN_FREE_FAILURES failures cost nothing, each further one doubles the wait before that
    # pair may try again (LOGIN_BACKOFF_BASE_SECONDS, 2x, 4x, ... up to LOGIN_BACKOFF_MAX_SECONDS).
    # No account is ever locked for everyone: the same name from another address is unaffected.
    login_free_failures: int = Field(default=3, ge=0)
    login_backoff_base_seconds: float = Field(default=1.0, gt=0)
    login_backoff_max_seconds: float = Field(default=900.0, gt=0)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses or networks, e.g. the ingress controller's pod network). Empty: none, not even
    # 127.0.0.1; every client is the address it connects from.
    trusted_proxies: str = ""

    bootstrap_admin_username: str | None = None
    bootstrap_admin_password: SecretStr | None = None

    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 200 * 1024 * 1024
    # Where uploaded files wait for their import job; unset → DATA_DIR/uploads. In a container
    # with a read-only root, point it at a writable volume (e.g. /tmp/uploads).
    upload_dir: Path | None = None
    # An upload's body must arrive whole within this many seconds (else 408), and before the
    # request touches the database (app/uploadgate.py); one caller may have this many uploads
    # in progress per process (else 429).
    upload_receive_timeout_seconds: float = Field(default=300.0, gt=0)
    upload_max_concurrent_per_user: int = Field(default=2, ge=1)

    # Four eyes on money (app/kit/four_eyes.py): whoever creates a claim, payroll, grant or
    # holiday run or placement plan may not approve it, and its approver may not pay it.
    # 0 only for an installation run by a single person.
    four_eyes: bool = True

    incident_ack_sla_minutes: int = 60
    incident_urgent_ack_sla_minutes: int = 15
    follow_up_due_days: int = 15
    # The phone sync's change log keeps this many days; a phone whose cursor is older starts
    # over with a full sync (nothing is skipped).
    sync_changes_retention_days: int = Field(default=90, ge=1)
    # Visit quality flags: more visits than this by one visitor within one hour; a visit more
    # than this many km from the child's village centroid; clock skew a phone may have.
    visit_max_per_hour: int = 4
    visit_far_km: float = 3.0
    visit_future_tolerance_seconds: int = 300

    # The art. 62 record check (未成年人保护法第六十二条: 违法犯罪记录查询) of a person who works
    # with children — a volunteer, a counsellor, a caring mother — is valid this many months
    # after the query (rule we set); older, the person cannot be scheduled or paired.
    record_check_valid_months: int = Field(default=12, ge=1, le=60)
    # 爱心妈妈: an active pairing without a contact for this many months is listed as out of
    # touch (GET /api/v1/pairings/without-contact; rule we set, after issue 24's "2 months").
    pairing_contact_gap_months: int = Field(default=2, ge=1, le=24)

    # Training (app/training): a session code may be scanned from the session's day until this
    # many days after it (rule we set); later, the organiser records the attendance.
    training_check_in_days: int = Field(default=1, ge=0, le=30)
    # Charity project funds (app/charity): a project whose period ended this many days ago
    # without its final report is overdue (rule we set).
    charity_report_grace_days: int = Field(default=30, ge=0, le=365)
    # Institute care 养治教康 (rules we set): a resident's care plan is reviewed at least every
    # this many months; a resident without a counselling session for this many months is named
    # in the monthly institute report.
    care_plan_review_months: int = Field(default=6, ge=1, le=24)
    counselling_gap_months: int = Field(default=3, ge=1, le=24)

    # The minors' protection centre 未成年人社会保护中心 (app/protection/; rules we set): the
    # police identity check starts within PROTECTION_IDENTITY_CHECK_HOURS of admission, a care
    # plan is recorded within PROTECTION_CARE_PLAN_HOURS, an open intake (temporary
    # guardianship) is reviewed every PROTECTION_REVIEW_DAYS; PROTECTION_BEDS beds.
    protection_identity_check_hours: int = Field(default=24, ge=1)
    protection_care_plan_hours: int = Field(default=72, ge=1)
    protection_review_days: int = Field(default=30, ge=1)
    protection_beds: int = Field(default=40, ge=0)
    # 精准帮扶: a case in service is reviewed at least every this many months (rule we set,
    # after the "at least every 3 months").
    case_review_interval_months: int = Field(default=3, ge=1, le=12)
    # A screening referral (监测摸排转介) not acknowledged within this many days is escalated to
    # the district (rule we set; a screening finding is not an emergency as a report is).
    screening_referral_ack_days: int = Field(default=5, ge=1, le=60)

    district_code: str = "110115"
    # One deployment for a whole city: with CITY_CODE set (e.g. 110100), the bootstrap admin is
    # a city_admin of that city area, and districts are imported under it. Unset: one district
    # (DISTRICT_CODE), exactly as before.
    city_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    # The city area's name when the bootstrap creates it (with CITY_CODE).
    city_name: str = Field(default="本市", min_length=1, max_length=100)
    # The city's roles that may read personal records of every district (comma-separated,
    # e.g. "city_admin"); by default none: the city sees aggregates only.
    city_record_roles: str = Field(
        default="", pattern=r"^(city_admin|city_viewer)?(,(city_admin|city_viewer))*$"
    )
    timezone: str = "Asia/Shanghai"

    worker_poll_seconds: float = Field(default=0.5, gt=0)
    # Jobs one worker (process or in-process) runs at once, each on its own connection. Most
    # are webhook deliveries waiting on a partner's answer; heavy kinds have their own limit.
    worker_concurrency: int = Field(default=16, ge=1, le=64)
    # Extra job-handler modules, comma-separated, registered by `python -m app` and
    # `python -m app.worker` next to those app.wiring wires (the ops tests add a slow test job).
    extra_job_modules: str = ""
    # `python -m app.worker` serves its own /metrics, /livez and /readyz on this port (0 = off).
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    # The worker's /livez fails when its loop has not beaten for this many seconds (a hung loop).
    worker_liveness_seconds: float = Field(default=60.0, gt=0)

    # How long a process keeps a token's resolved principal (app/auth/principal.py) instead of
    # reading the account on every request. A change of an account, agency client or area made
    # through this process takes effect at once; one made through another process, within this
    # many seconds. 0: read the account on every request.
    principal_cache_seconds: float = Field(default=5.0, ge=0, le=60)

    # Rate limits (app/ratelimit.py): a token bucket per process, per user or agency client
    # (the JWT's `sub`), else per client IP; the token endpoint has its own, stricter per-IP one.
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = Field(default=600, gt=0)
    rate_limit_burst: int = Field(default=200, gt=0)
    rate_limit_token_per_minute: int = Field(default=30, gt=0)
    rate_limit_token_burst: int = Field(default=20, gt=0)

    # Webhooks (app/kit/egress.py): partner URLs must resolve to public addresses only. On (1)
    # only for tests with a receiver on this machine: admits loopback and private addresses
    # and plain http. Refused in production.
    webhook_allow_private_targets: bool = False
    # A rotated webhook secret keeps signing (a second signature) for this many hours.
    webhook_secret_grace_hours: int = Field(default=24, ge=0, le=24 * 30)

    # Exposure (app/edge.py). METRICS_PORT > 0: /metrics is served on that port (beside the
    # API, by the API process), which the ingress does not route. In production /metrics is
    # served there only; in development and test also on the main port. DOCS_ENABLED: /docs,
    # /redoc and /openapi.json; unset = on except in production.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    docs_enabled: bool | None = None

    # The document store (app/documents): `filesystem` (under DOCUMENTS_DIR, default
    # DATA_DIR/documents) or `s3` (an S3-compatible bucket; credentials from the environment,
    # in Kubernetes from the `children-care-documents-s3` Secret). Every object is encrypted.
    documents_backend: Literal["filesystem", "s3"] = "filesystem"
    documents_dir: Path | None = None
    documents_s3_endpoint_url: str | None = None
    documents_s3_bucket: str = "care-documents"
    documents_s3_region: str = "us-east-1"
    documents_s3_access_key_id: SecretStr | None = None
    documents_s3_secret_access_key: SecretStr | None = None
    # The largest document (bytes, as declared by Upload-Length or sent whole): a rule we set.
    documents_max_bytes: int = Field(default=30 * 1024 * 1024, ge=1024)
    # A photo's EXIF location (GPS) is removed before it is stored unless the district keeps it.
    documents_keep_location: bool = False
    # Documents of children who left the ledger (revoked), of closed cases and of discharged
    # intakes are kept this many years after that day, then purged (rule we set).
    documents_retention_years: int = Field(default=10, ge=1, le=100)

    # Outbound HTTP (app/kit/http.py): every call has these timeouts.
    outbound_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    outbound_timeout_seconds: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _secrets_outside_development(self) -> Settings:
        if self.app_env == "development":
            if not self.encryption_keys.get_secret_value():
                self.encryption_keys = SecretStr(f"k1:{_dev_key('encryption')}")
                self.encryption_active_key_id = "k1"
            if not self.hmac_key.get_secret_value():
                self.hmac_key = SecretStr(_dev_key("hmac"))
            return self
        missing = []
        signing = self.jwt_signing_key.get_secret_value()
        if not signing or signing == DEV_SIGNING_KEY or len(signing) < 32:
            missing.append("JWT_SIGNING_KEY (at least 32 characters, not the default)")
        if not self.encryption_keys.get_secret_value():
            missing.append("ENCRYPTION_KEYS (kid:base64-of-32-bytes,...)")
        if len(self.hmac_key.get_secret_value()) < 32:
            missing.append("HMAC_KEY (at least 32 characters)")
        if self.audit_chain_key.get_secret_value():
            from app.kit.audit_chain import ChainKeys

            try:
                ChainKeys.parse(self.audit_chain_key.get_secret_value())
            except ValueError as exc:
                missing.append(str(exc))
        if self.app_env == "production" and self.demo_data:
            missing.append("DEMO_DATA must be 0 in production (demo accounts have known passwords)")
        if self.app_env == "production" and self.webhook_allow_private_targets:
            missing.append("WEBHOOK_ALLOW_PRIVATE_TARGETS must be 0 in production (tests only)")
        if missing:
            raise ValueError(
                f"APP_ENV={self.app_env} refuses to start with a default or missing secret: "
                + "; ".join(missing)
            )
        return self

    @property
    def console_log_format(self) -> str:
        """`text` or `json`: LOG_FORMAT, or by APP_ENV when it is `auto`."""
        if self.log_format != "auto":
            return self.log_format
        return "text" if self.app_env == "development" else "json"

    @property
    def serve_docs(self) -> bool:
        if self.docs_enabled is not None:
            return self.docs_enabled
        return self.app_env != "production"

    @property
    def metrics_on_main_port(self) -> bool:
        return self.app_env != "production"

    @property
    def webhook_plain_http_allowed(self) -> bool:
        """http:// webhooks: in development, or with a local test receiver; else https only."""
        return self.app_env == "development" or self.webhook_allow_private_targets

    @property
    def uploads_path(self) -> Path:
        return self.upload_dir if self.upload_dir is not None else self.data_dir / "uploads"

    @property
    def documents_path(self) -> Path:
        return self.documents_dir if self.documents_dir is not None else self.data_dir / "documents"

    @property
    def audit_checkpoint_path(self) -> Path:
        if self.audit_checkpoint_dir is not None:
            return self.audit_checkpoint_dir
        return self.data_dir / "audit-checkpoints"

    @property
    def embedded(self) -> bool:
        return self.database_url is None


@lru_cache
def get_settings() -> Settings:
    return Settings()
