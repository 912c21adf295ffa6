"""Deployment checks: the Dockerfile lint, the offline manifest validation, and the invariants
the operations guide relies on (replicas, shutdown timing, security context, database wiring).

No database and no cluster: everything runs on the rendered kustomize output.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
KUBECTL = BIN / "kubectl"
OVERLAYS = ("staging", "production")

pytestmark = pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl not installed in .venv")

Doc = dict[str, Any]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def render(overlay: str) -> list[Doc]:
    result = run(KUBECTL, "kustomize", ROOT / "k8s" / "overlays" / overlay)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Doc]]:
    return {overlay: render(overlay) for overlay in OVERLAYS}


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def migrate_job(docs: list[Doc]) -> Doc:
    (job,) = [d for d in docs if d["kind"] == "Job"]
    assert job["metadata"]["name"].startswith("children-care-migrate-")
    return job


def workloads(docs: list[Doc]) -> Iterator[Doc]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            yield doc


def config(docs: list[Doc]) -> dict[str, str]:
    (cm,) = [
        d
        for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("children-care-config")
    ]
    data: dict[str, str] = cm["data"]
    return data


def env_value(container: Doc, name: str) -> str:
    values = [e["value"] for e in container.get("env", []) if e["name"] == name and "value" in e]
    assert len(values) == 1, f"{container['name']}: env {name}"
    return str(values[0])


# --- the two CI scripts -----------------------------------------------------------------------


def test_lint_dockerfile_passes() -> None:
    result = run(ROOT / ".ci" / "lint-dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_lint_dockerfile_rejects_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install uv\nCMD python -m app\n")
    result = run(ROOT / ".ci" / "lint-dockerfile", bad)
    assert result.returncode == 1
    assert "DL3007" in result.stdout  # latest tag
    assert "DL3025" in result.stdout  # shell-form CMD


def test_validate_manifests_passes() -> None:
    result = run(ROOT / ".ci" / "validate-manifests")
    assert result.returncode == 0, result.stdout + result.stderr
    for overlay in OVERLAYS:
        assert f"== k8s/overlays/{overlay}" in result.stdout
    assert "OK   Cluster/children-care-db" in result.stdout
    assert "validate-manifests: OK" in result.stdout


def _rename_key(mapping: Doc, old: str, new: str) -> None:
    mapping[new] = mapping.pop(old)


def _typo_in_synchronous(docs: list[Doc]) -> None:
    cluster = find(docs, "Cluster", "children-care-db")
    _rename_key(cluster["spec"]["postgresql"]["synchronous"], "dataDurability", "dataDurabilty")


def _bad_pool_mode(docs: list[Doc]) -> None:
    find(docs, "Pooler", "children-care-db-pooler-rw")["spec"]["pgbouncer"]["poolMode"] = "tx"


def _typo_in_probe(docs: list[Doc]) -> None:
    pod = find(docs, "Deployment", "children-care-api")["spec"]["template"]["spec"]
    _rename_key(pod["containers"][0], "livenessProbe", "liveness")


def _unknown_kind(docs: list[Doc]) -> None:
    find(docs, "Deployment", "children-care-worker")["kind"] = "Deploymnet"


def _scheduled_backup_missing(docs: list[Doc]) -> None:
    docs.remove(find(docs, "ScheduledBackup", "children-care-db-daily"))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_typo_in_synchronous, "'dataDurabilty' was unexpected"),
        (_bad_pool_mode, "'tx' is not one of ['session', 'transaction']"),
        (_typo_in_probe, "'liveness' was unexpected"),
        (_unknown_kind, "Couldn't find schema for kind Deploymnet"),
        (_scheduled_backup_missing, "required kind ScheduledBackup not found"),
    ],
    ids=["cnpg-typo", "cnpg-enum", "k8s-typo", "unknown-kind", "missing-backup"],
)
def test_validate_manifests_rejects_a_broken_manifest(
    rendered: dict[str, list[Doc]],
    tmp_path: Path,
    mutate: Callable[[list[Doc]], None],
    expected: str,
) -> None:
    docs = [dict(doc) for doc in yaml.safe_load_all(yaml.safe_dump_all(rendered["production"]))]
    mutate(docs)
    broken = tmp_path / "rendered.yaml"
    broken.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    result = run(ROOT / ".ci" / "validate-manifests", broken)
    assert result.returncode == 1, result.stdout
    assert expected in result.stdout
    assert "validate-manifests: FAILED" in result.stdout


# --- invariants of the rendered overlays ------------------------------------------------------


def test_production_runs_highly_available(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["production"]
    assert find(docs, "HorizontalPodAutoscaler", "children-care-api")["spec"]["minReplicas"] >= 2
    assert "replicas" not in find(docs, "Deployment", "children-care-api")["spec"]  # HPA owns it
    assert find(docs, "Deployment", "children-care-worker")["spec"]["replicas"] >= 2
    cluster = find(docs, "Cluster", "children-care-db")["spec"]
    assert cluster["instances"] == 3
    assert cluster["postgresql"]["synchronous"] == {
        "method": "any",
        "number": 1,
        "dataDurability": "required",
    }
    # Backups through the Barman Cloud plugin, not the deprecated in-tree barmanObjectStore.
    assert "backup" not in cluster
    assert cluster["plugins"] == [
        {
            "name": "barman-cloud.cloudnative-pg.io",
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": "children-care-db-backups"},
        }
    ]
    store = find(docs, "ObjectStore", "children-care-db-backups")["spec"]
    assert store["retentionPolicy"]
    assert store["configuration"]["destinationPath"].startswith("s3://")
    backup = find(docs, "ScheduledBackup", "children-care-db-daily")["spec"]
    assert backup["method"] == "plugin"
    assert backup["pluginConfiguration"] == {"name": "barman-cloud.cloudnative-pg.io"}
    assert find(docs, "Pooler", "children-care-db-pooler-rw")["spec"]["instances"] >= 2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_app_goes_through_the_transaction_pooler(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    pooler = find(docs, "Pooler", "children-care-db-pooler-rw")["spec"]
    assert (pooler["type"], pooler["pgbouncer"]["poolMode"]) == ("rw", "transaction")
    settings = config(docs)
    assert settings["DATABASE_PGBOUNCER"] == "true"
    assert settings["MIGRATE_ON_START"] == "false"
    assert settings["RUN_WORKER_IN_PROCESS"] == "false"
    assert settings["DEMO_DATA"] == "0"
    for name in ("children-care-api", "children-care-worker"):
        (container,) = find(docs, "Deployment", name)["spec"]["template"]["spec"]["containers"]
        assert "@children-care-db-pooler-rw:5432/" in env_value(container, "DATABASE_URL")
    (migrate,) = migrate_job(docs)["spec"]["template"]["spec"]["containers"]
    assert migrate["command"] == ["python", "-m", "app.manage", "migrate"]
    assert "@children-care-db-rw:5432/" in env_value(migrate, "DATABASE_URL")
    assert env_value(migrate, "DATABASE_PGBOUNCER") == "false"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_reads_what_tolerates_lag_from_the_standbys(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    """DATABASE_READ_URL (docs/read-replicas.md): the ro pooler in front of CloudNativePG's
    -ro service, with the same credentials and database as DATABASE_URL."""
    docs = rendered[overlay]
    assert find(docs, "Cluster", "children-care-db")["spec"]["instances"] >= 2  # a standby
    pooler = find(docs, "Pooler", "children-care-db-pooler-ro")["spec"]
    assert pooler["cluster"]["name"] == "children-care-db"
    assert (pooler["type"], pooler["pgbouncer"]["poolMode"]) == ("ro", "transaction")
    (api,) = find(docs, "Deployment", "children-care-api")["spec"]["template"]["spec"]["containers"]
    read_url = env_value(api, "DATABASE_READ_URL")
    write_url = env_value(api, "DATABASE_URL")
    assert read_url == write_url.replace(
        "@children-care-db-pooler-rw:", "@children-care-db-pooler-ro:"
    )
    assert "@children-care-db-pooler-ro:5432/app" in read_url
    # The API may reach the ro pooler, and the ro pooler the database.
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    for name in ("children-care-app-egress", "children-care-db-pooler", "children-care-db"):
        assert "children-care-db-pooler-ro" in yaml.safe_dump(policies[name]), name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_shuts_down_within_its_grace_period(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    docs = rendered[overlay]
    pod = find(docs, "Deployment", "children-care-api")["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = int(config(docs)["GRACEFUL_SHUTDOWN_SECONDS"])
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + drain + 10
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    keys = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
    assert "kubernetes.io/hostname" in keys


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_is_locked_down(rendered: dict[str, list[Doc]], overlay: str) -> None:
    for workload in workloads(rendered[overlay]):
        pod = workload["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] >= 10000
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False
            assert sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"] == {"drop": ["ALL"]}
            assert {"memory", "cpu"} <= container["resources"]["limits"].keys()
            assert {"memory", "cpu"} <= container["resources"]["requests"].keys()
            assert {m["mountPath"] for m in container["volumeMounts"]} == {"/tmp"}
            assert container["image"].startswith("registry.")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_is_default_deny(rendered: dict[str, list[Doc]], overlay: str) -> None:
    policies = [d for d in rendered[overlay] if d["kind"] == "NetworkPolicy"]
    deny = find(policies, "NetworkPolicy", "default-deny-all")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (namespace,) = [d for d in rendered[overlay] if d["kind"] == "Namespace"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_api_and_the_dashboard_are_exposed(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    """The ingress routes /api/ and /dashboard only; /metrics is on METRICS_PORT, which no
    Service exposes and only Prometheus may reach; docs are not switched on."""
    docs = rendered[overlay]
    settings = config(docs)
    assert "DOCS_ENABLED" not in settings
    metrics_port = int(settings["METRICS_PORT"])
    assert metrics_port not in (0, int(settings["PORT"]))
    ingress = find(docs, "Ingress", "children-care-api")["spec"]
    paths = [p for rule in ingress["rules"] for p in rule["http"]["paths"]]
    assert sorted(p["path"] for p in paths) == ["/api/", "/dashboard"]
    assert {p["backend"]["service"]["port"]["name"] for p in paths} == {"http"}
    service = find(docs, "Service", "children-care-api")["spec"]
    assert [p["targetPort"] for p in service["ports"]] == ["http"]
    pod = find(docs, "Deployment", "children-care-api")["spec"]["template"]
    # Scraped through the PodMonitor (port `metrics`), not prometheus.io annotations.
    assert "annotations" not in pod["metadata"]
    (container,) = pod["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": int(settings["PORT"]), "metrics": metrics_port}
    policy = find(docs, "NetworkPolicy", "children-care-api-ingress")["spec"]
    sources = {
        rule["ports"][0]["port"]: [
            f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for f in rule["from"]
        ]
        for rule in policy["ingress"]
    }
    assert sources == {int(settings["PORT"]): ["ingress-nginx"], metrics_port: ["monitoring"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_forwarded_headers_are_believed_from_the_ingress_network_only(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    import ipaddress

    settings = config(rendered[overlay])
    proxies = [p.strip() for p in settings["TRUSTED_PROXIES"].split(",") if p.strip()]
    assert proxies
    for proxy in proxies:
        network = ipaddress.ip_network(proxy, strict=False)
        assert network.is_private  # the cluster's pod network, never the internet
        assert network.prefixlen >= 8


# --- issue 27: probes, monitoring, release hygiene ----------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_worker_is_probed_and_scraped(rendered: dict[str, list[Doc]], overlay: str) -> None:
    docs = rendered[overlay]
    (container,) = find(docs, "Deployment", "children-care-worker")["spec"]["template"]["spec"][
        "containers"
    ]
    port = int(env_value(container, "WORKER_METRICS_PORT"))
    assert port > 0
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"metrics": port}
    assert container["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    liveness = float(env_value(container, "WORKER_LIVENESS_SECONDS"))
    probe = container["livenessProbe"]
    # A loop that is merely busy (its beat is at most a poll interval late) is never killed.
    assert probe["periodSeconds"] * probe["failureThreshold"] >= liveness
    policy = find(docs, "NetworkPolicy", "children-care-worker-ingress")["spec"]
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}]
    monitor = find(docs, "PodMonitor", "children-care")["spec"]
    assert monitor["selector"]["matchExpressions"] == [
        {"key": "app.kubernetes.io/component", "operator": "In", "values": ["api", "worker"]}
    ]
    assert [e["port"] for e in monitor["podMetricsEndpoints"]] == ["metrics"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_worker_checkpoints_the_audit_chain_to_a_bucket(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    """Not to the pod's emptyDir: the checkpoints must outlive the worker pod."""
    docs = rendered[overlay]
    settings = config(docs)
    assert settings["AUDIT_CHECKPOINT_BUCKET"]
    assert "AUDIT_CHECKPOINT_DIR" not in settings
    assert settings["DOCUMENTS_S3_ENDPOINT_URL"]  # the connection the checkpoints reuse
    (container,) = find(docs, "Deployment", "children-care-worker")["spec"]["template"]["spec"][
        "containers"
    ]
    sources = container["envFrom"]
    assert any(
        src.get("configMapRef", {}).get("name", "").startswith("children-care-config")
        for src in sources
    )
    assert {"secretRef": {"name": "children-care-documents-s3"}} in sources


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_alert_rules_cover_the_operations_gaps(
    rendered: dict[str, list[Doc]], overlay: str
) -> None:
    rules = find(rendered[overlay], "PrometheusRule", "children-care")["spec"]["groups"]
    alerts = {r["alert"]: r["expr"] for g in rules for r in g["rules"]}
    expected = {
        "ReferralNotAcknowledged": "referrals_unacknowledged_overdue",
        "WebhookOutboxBacklog": "webhook_outbox_backlog",
        "JobWaitingTooLong": "jobs_oldest_age_seconds",
        "ScreeningImportInterrupted": "screening_imports_interrupted",
        "AuditCheckpointFailed": 'audit_checkpoints_total{outcome="failed"}',
        "AuditCheckpointStale": "audit_checkpoint_last_success_timestamp_seconds",
        "HighServerErrorRate": 'http_requests_total{status=~"5.."}',
        "ReadReplicaNotUsed": "db_read_replica_reads_total",
    }
    for alert, metric in expected.items():
        assert metric in alerts[alert], alert


def test_the_metrics_the_rules_use_exist() -> None:
    """Every metric an alert names is one the service exports (no alert on a typo)."""
    from prometheus_client import generate_latest

    from app.observability import Metrics

    metrics = Metrics()
    metrics.jobs_queue_depth.labels("x").set(0)
    metrics.jobs_oldest_age.labels("x").set(0)
    metrics.requests.labels("GET", "/x", "500").inc()
    exported = generate_latest(metrics.registry).decode()
    rules = yaml.safe_load((ROOT / "k8s/base/monitoring/prometheusrule.yaml").read_text())
    for group in rules["spec"]["groups"]:
        for rule in group["rules"]:
            for name in (
                "referrals_unacknowledged_overdue",
                "webhook_outbox_backlog",
                "webhook_outbox_oldest_age_seconds",
                "jobs_oldest_age_seconds",
                "screening_imports_interrupted",
                "audit_checkpoints_total",
                "audit_checkpoint_last_success_timestamp_seconds",
                "http_requests_total",
            ):
                if name in rule["expr"]:
                    assert f"\n{name}" in exported or exported.startswith(name), name


def test_the_read_replica_alert_uses_the_replicas_metric() -> None:
    """The replica's counter (app/replica.py, registered when DATABASE_READ_URL is set)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.replica import ReadReplica
    from tests.conftest import make_settings

    registry = CollectorRegistry()
    settings = make_settings("postgresql+asyncpg://u@localhost/x")
    ReadReplica(create_async_engine("postgresql+asyncpg://u@localhost/x"), settings, registry)
    exported = generate_latest(registry).decode()
    rules = yaml.safe_load((ROOT / "k8s/base/monitoring/prometheusrule.yaml").read_text())
    (rule,) = [
        r for g in rules["spec"]["groups"] for r in g["rules"] if r["alert"] == "ReadReplicaNotUsed"
    ]
    assert "db_read_replica_reads_total" in rule["expr"]
    assert '\ndb_read_replica_reads_total{outcome="primary_unreachable"} 0.0' in exported


def test_production_pins_third_party_images_by_digest(rendered: dict[str, list[Doc]]) -> None:
    docs = rendered["production"]
    cluster = find(docs, "Cluster", "children-care-db")["spec"]
    image = cluster["imageName"]
    name, _, digest = image.partition("@sha256:")
    assert name.startswith("ghcr.io/cloudnative-pg/postgresql:")
    assert len(digest) == 64
    assert all(c in "0123456789abcdef" for c in digest)
    # Every container image is the service's own (set by digest at release) or pinned.
    for workload in workloads(docs):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert container["image"].startswith("registry.example.internal/children-care")


def test_setting_the_release_names_the_migration_job_and_the_image(tmp_path: Path) -> None:
    """The documented release step: `kustomize edit set image` by digest and the release name;
    the migration Job gets a new name (no manual delete), every container the digest."""
    import shutil

    overlays = tmp_path / "k8s" / "overlays"
    shutil.copytree(ROOT / "k8s" / "base", tmp_path / "k8s" / "base")
    shutil.copytree(ROOT / "k8s" / "overlays" / "production", overlays / "production")
    digest = "sha256:" + "ab" * 32
    image = f"registry.example.internal/children-care@{digest}"
    kustomization = overlays / "production" / "kustomization.yaml"
    text = kustomization.read_text()
    assert "RELEASE=0.1.0" in text
    kustomization.write_text(text.replace("RELEASE=0.1.0", "RELEASE=0.2.0"))
    # What `kustomize edit set image children-care=<image>@<digest>` writes (kubectl has no
    # `edit`; the standalone kustomize binary is not in CI).
    data = yaml.safe_load(kustomization.read_text())
    data["images"] = [{"name": "children-care", "newName": image.split("@")[0], "digest": digest}]
    kustomization.write_text(yaml.safe_dump(data, sort_keys=False))
    result = run(KUBECTL, "kustomize", overlays / "production")
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert migrate_job(docs)["metadata"]["name"] == "children-care-migrate-0.2.0"
    images = {
        c["image"] for w in workloads(docs) for c in w["spec"]["template"]["spec"]["containers"]
    }
    assert images == {image}
