"""The chart renders, lints and validates offline for each values file, and follows the policy."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from policy import violations
from rendering import CHART, VALUES_FILES, helm, render

from lienthong.relay import StreamNames
from lienthong.relay.permissions import helm_values, password_secret, password_variable, users

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.27.0", "1.37.0")
# Custom resources: their schemas come with their operators' CRDs, not with Kubernetes, so they are checked
# by the structural test below instead. A kind missing here and from Kubernetes fails validation.
CUSTOM_KINDS = {
    ("postgresql.cnpg.io/v1", "Cluster"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("cert-manager.io/v1", "Certificate"),
}
SERVICES = ("identifiers", "documents", "signing", "email", "reporting")


def by_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def test_helm_lint_passes_strictly(values_files: list[Path]) -> None:
    args = ["lint", "--strict", str(CHART)]
    for file in values_files:
        args += ["-f", str(file)]
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_matches_the_kubernetes_schemas(values_files: list[Path], version: str) -> None:
    checked = 0
    for manifest in render(values_files):
        if (manifest["apiVersion"], manifest["kind"]) in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(manifest, version, strict=True)
        checked += 1
    assert checked >= 25


def test_custom_resources_name_what_they_need() -> None:
    manifests = render(VALUES_FILES["ha"])
    cluster = by_kind(manifests, "Cluster")["lt-lienthong-pg"]
    assert cluster["spec"]["instances"] == 3
    assert cluster["spec"]["bootstrap"]["initdb"] == {"database": "lienthong", "owner": "lienthong"}
    assert cluster["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")
    backup = by_kind(manifests, "ScheduledBackup")["lt-lienthong-pg-daily"]
    assert backup["spec"]["cluster"]["name"] == "lt-lienthong-pg"
    monitor = by_kind(manifests, "ServiceMonitor")["lt-lienthong"]
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    rules = by_kind(manifests, "PrometheusRule")["lt-lienthong"]["spec"]["groups"][0]["rules"]
    alerts = {rule["alert"] for rule in rules}
    assert "LienthongConsumerLagging" in alerts
    assert {"LienthongRelayLagging", "LienthongEventsQuarantined"} <= alerts
    assert "LienthongBackupFailing" in alerts
    runbook = (CHART.parents[1] / "docs" / "operations.md").read_text()
    for alert in alerts:
        assert f"### {alert}" in runbook, f"docs/operations.md does not explain {alert}"


def test_every_workload_follows_the_policy(values_files: list[Path]) -> None:
    assert violations(render(values_files)) == []


def test_policy_refuses_a_container_made_to_run_as_root() -> None:
    manifests = render([], "securityContext.runAsUser=0", "securityContext.runAsNonRoot=false")
    found = violations(manifests)
    assert "Deployment/lt-lienthong-documents container documents: may run as root" in " ".join(found)
    assert (
        len([v for v in found if "may run as root" in v]) == 12
    )  # 5 services, the console, 5 migrations, the helm test


def test_policy_refuses_a_container_without_limits_or_probes() -> None:
    manifests = render([])
    broken = copy.deepcopy(manifests)
    container = by_kind(broken, "Deployment")["lt-lienthong-signing"]["spec"]["template"]["spec"]["containers"][0]
    del container["resources"]["limits"]
    del container["livenessProbe"]
    found = violations(broken)
    assert found == [
        "Deployment/lt-lienthong-signing container signing: has no cpu limit",
        "Deployment/lt-lienthong-signing container signing: has no memory limit",
        "Deployment/lt-lienthong-signing container signing: has no livenessProbe",
    ]


def test_the_schema_refuses_bad_values() -> None:
    with pytest.raises(AssertionError, match="/services/email/port"):
        render([], "services.email.port=25")
    with pytest.raises(AssertionError, match="runAsNonRoot"):
        render([], "podSecurityContext.runAsNonRoot=false")


def test_replicas_sharing_a_read_write_once_volume_are_refused() -> None:
    with pytest.raises(AssertionError, match=r"services\.documents: .* ReadWriteMany"):
        render([], "services.documents.replicas=2")


def test_every_service_requires_mtls_and_is_probed_on_its_plaintext_health_port(values_files: list[Path]) -> None:
    deployments = by_kind(render(values_files), "Deployment")
    ports = {"identifiers": 50051, "documents": 50052, "signing": 50053, "email": 50054, "reporting": 50055}
    for service, port in ports.items():
        pod = deployments[f"lt-lienthong-{service}"]["spec"]["template"]["spec"]
        container = pod["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": 8081}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["LIENTHONG_LISTEN_ADDR"] == f"0.0.0.0:{port}"
        assert env["LIENTHONG_HEALTH_ADDR"] == "0.0.0.0:8081"
        assert env["LIENTHONG_IDENTIFIERS_ADDR"] == "lt-lienthong-identifiers:50051"
        files = {env[f"LIENTHONG_TLS_{name}"] for name in ("CA", "CERT", "KEY")}
        assert files == {"/etc/lienthong/tls/ca.crt", "/etc/lienthong/tls/tls.crt", "/etc/lienthong/tls/tls.key"}
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        assert volumes["tls"]["secret"]["secretName"] == f"lt-lienthong-{service}-tls"


def test_cert_manager_issues_each_service_a_certificate_naming_its_principal() -> None:
    manifests = render([], "tls.certManager.enabled=true", "tls.secretNames.email=mail-mtls")
    certificates = by_kind(manifests, "Certificate")
    assert set(certificates) == {f"lt-lienthong-{service}" for service in (*SERVICES, "console")}
    assert certificates["lt-lienthong-console"]["spec"]["uris"] == ["urn:lienthong:principal:service:console"]
    documents = certificates["lt-lienthong-documents"]["spec"]
    assert documents["uris"] == ["urn:lienthong:principal:service:documents"]
    assert "lt-lienthong-documents" in documents["dnsNames"]
    assert documents["secretName"] == "lt-lienthong-documents-tls"  # pragma: allowlist secret
    assert certificates["lt-lienthong-email"]["spec"]["secretName"] == "mail-mtls"  # pragma: allowlist secret
    email = by_kind(manifests, "Deployment")["lt-lienthong-email"]["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in email["volumes"]}
    assert volumes["tls"]["secret"]["secretName"] == "mail-mtls"  # pragma: allowlist secret
    assert not by_kind(render([]), "Certificate")


def test_the_ha_set_up_scales_and_keeps_a_replica_through_disruptions() -> None:
    manifests = render(VALUES_FILES["ha"])
    hpas = by_kind(manifests, "HorizontalPodAutoscaler")
    assert set(hpas) == {"lt-lienthong-identifiers", "lt-lienthong-documents", "lt-lienthong-reporting"}
    for pdb in by_kind(manifests, "PodDisruptionBudget").values():
        assert pdb["spec"] == {**pdb["spec"], "minAvailable": 1}
        assert "maxUnavailable" not in pdb["spec"]
    documents = by_kind(manifests, "Deployment")["lt-lienthong-documents"]
    assert "replicas" not in documents["spec"]  # the autoscaler owns it
    assert documents["spec"]["strategy"]["type"] == "RollingUpdate"
    console = by_kind(manifests, "Deployment")["lt-lienthong-console"]["spec"]
    assert console["replicas"] == 2
    assert "podAntiAffinity" in console["template"]["spec"]["affinity"]
    assert "lt-lienthong-console" in by_kind(manifests, "PodDisruptionBudget")
    assert by_kind(manifests, "Service")["lt-lienthong-console"]["spec"]["sessionAffinity"] == "ClientIP"


def test_one_console_replica_has_no_disruption_budget_to_block_a_node_drain() -> None:
    manifests = render([])
    assert by_kind(manifests, "Deployment")["lt-lienthong-console"]["spec"]["replicas"] == 1
    assert "lt-lienthong-console" not in by_kind(manifests, "PodDisruptionBudget")
    assert "sessionAffinity" not in by_kind(manifests, "Service")["lt-lienthong-console"]["spec"]


def test_migration_runs_before_install_and_upgrade_with_each_service_image() -> None:
    job = by_kind(render([]), "Job")["lt-lienthong-migrate"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    spec = job["spec"]["template"]["spec"]
    commands = [c["args"] for c in [*spec["initContainers"], *spec["containers"]]]
    assert sorted(commands) == sorted(["python", "-m", f"lienthong.{s}.migrate"] for s in SERVICES)
    cnpg_job = by_kind(render([], "postgresql.cnpg.enabled=true"), "Job")["lt-lienthong-migrate"]
    assert cnpg_job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"


def _egress_ports(policy: dict[str, Any]) -> set[int]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]}


def _ingress_peers(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [peer for rule in policy["spec"]["ingress"] for peer in rule.get("from", [])]


def test_network_policies_allow_only_the_calls_of_the_architecture() -> None:
    manifests = render([])
    policies = by_kind(manifests, "NetworkPolicy")
    deny = policies["lt-lienthong-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"]
    assert "ingress" not in deny
    assert "egress" not in deny
    common = {53, 5432, 4222}
    assert _egress_ports(policies["lt-lienthong-documents"]) == common | {50051, 50053}
    assert _egress_ports(policies["lt-lienthong-signing"]) == common | {50051}
    assert _egress_ports(policies["lt-lienthong-email"]) == common | {50051, 50052, 50053, 587}
    assert _egress_ports(policies["lt-lienthong-identifiers"]) == common | {50053}
    assert _egress_ports(policies["lt-lienthong-reporting"]) == common
    assert _egress_ports(policies["lt-lienthong-migrate"]) == {53, 5432}
    signing_callers = [p for p in _ingress_peers(policies["lt-lienthong-signing"]) if "podSelector" in p]
    components = {p["podSelector"]["matchLabels"].get("app.kubernetes.io/component") for p in signing_callers}
    # documents (seals), identifiers and email (checkpoints), and operators (selected by their own label)
    assert components == {"documents", "identifiers", "email", None}
    client = {"podSelector": {"matchLabels": {"lienthong.gov.vn/client": "true"}}}
    assert client in _ingress_peers(policies["lt-lienthong-reporting"])
    assert client not in _ingress_peers(policies["lt-lienthong-signing"])


def test_no_peers_means_no_ingress_rule_rather_than_everyone() -> None:
    settings = ("networkPolicy.clients=null", "networkPolicy.operators=null", "metrics.enabled=false")
    policies = by_kind(render([], *settings), "NetworkPolicy")
    assert policies["lt-lienthong-reporting"]["spec"]["ingress"] == []
    assert policies["lt-lienthong-email"]["spec"]["ingress"] == []


def test_metrics_are_scraped_through_annotations_or_a_service_monitor() -> None:
    annotated = by_kind(render([]), "Deployment")["lt-lienthong-email"]["spec"]["template"]
    assert annotated["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    container = annotated["spec"]["containers"][0]
    assert {"name": "LIENTHONG_METRICS_PORT", "value": "9464"} in container["env"]
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
    monitored = by_kind(render(VALUES_FILES["ha"]), "Deployment")["lt-lienthong-email"]["spec"]["template"]
    assert "prometheus.io/scrape" not in (monitored["metadata"].get("annotations") or {})


def test_the_dashboard_ships_as_a_config_map_for_grafana() -> None:
    maps = by_kind(render([]), "ConfigMap")
    dashboards = maps["lt-lienthong-dashboards"]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(dashboards["data"]["lienthong.json"])
    queries = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    # the names e2e/test_metrics.py scrapes from the running services
    for scraped in (
        "rpc_server_call_duration_seconds_bucket",
        "lienthong_documents_sent_total",
        "lienthong_documents_received_total",
        "lienthong_documents_processing_duration_seconds_bucket",
        "lienthong_relay_lag",
        "lienthong_relay_delay_seconds_bucket",
        "lienthong_consumer_pending",
        "lienthong_consumer_delay_seconds_bucket",
        "lienthong_consumer_events_total",
    ):
        assert scraped in queries, scraped


def test_attachments_in_s3_free_documents_from_its_volume() -> None:
    manifests = render(VALUES_FILES["ha"])
    documents = by_kind(manifests, "Deployment")["lt-lienthong-documents"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") or e.get("valueFrom") for e in documents["containers"][0]["env"]}
    assert env["LIENTHONG_BLOB_STORE"] == "s3://lienthong-documents/blobs"
    assert env["LIENTHONG_S3_ENDPOINT"] == "https://minio.ict.khanhhoa.gov.vn"
    assert env["AWS_SECRET_ACCESS_KEY"] == {
        "secretKeyRef": {"name": "lienthong-blobs-s3", "key": "AWS_SECRET_ACCESS_KEY"}
    }
    assert "lt-lienthong-documents-data" not in by_kind(manifests, "PersistentVolumeClaim")
    assert 443 in _egress_ports(by_kind(manifests, "NetworkPolicy")["lt-lienthong-documents"])


def test_replies_reach_the_email_service_only_from_the_mail_relay() -> None:
    manifests = render(VALUES_FILES["ha"])
    email = by_kind(manifests, "Deployment")["lt-lienthong-email"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in email["containers"][0]["env"]}
    assert env["LIENTHONG_MAIL_INBOUND_ADDR"] == "0.0.0.0:2526"
    assert env["LIENTHONG_MAIL_REPLY_SECRET_FILE"] == "/etc/lienthong/email-reply/key"
    assert {"name": "email-reply", "mountPath": "/etc/lienthong/email-reply", "readOnly": True} in email["containers"][
        0
    ]["volumeMounts"]
    service = by_kind(manifests, "Service")["lt-lienthong-email"]
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]}["smtp"] == 2526
    rules = by_kind(manifests, "NetworkPolicy")["lt-lienthong-email"]["spec"]["ingress"]
    smtp_rule = next(rule for rule in rules if rule["ports"][0]["port"] == 2526)
    assert smtp_rule["from"] == [{"ipBlock": {"cidr": "10.20.1.25/32"}}]
    default_email = by_kind(render([]), "Service")["lt-lienthong-email"]
    assert "smtp" not in {p["name"] for p in default_email["spec"]["ports"]}


def test_signing_uses_an_external_tsa_and_trust_anchors_when_given() -> None:
    manifests = render(VALUES_FILES["external"])
    signing = by_kind(manifests, "Deployment")["lt-lienthong-signing"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in signing["containers"][0]["env"]}
    assert env["LIENTHONG_SIGNING_TSA_URL"] == "https://tsa.ca.gov.vn"
    assert env["LIENTHONG_SIGNING_TRUST_ANCHORS"] == "/etc/lienthong/trust-anchors/anchors.pem"
    assert {"name": "trust-anchors", "configMap": {"name": "lienthong-trust-anchors"}} in signing["volumes"]
    assert 443 in _egress_ports(by_kind(manifests, "NetworkPolicy")["lt-lienthong-signing"])
    assert 443 not in _egress_ports(by_kind(render([]), "NetworkPolicy")["lt-lienthong-signing"])
    with pytest.raises(AssertionError, match="pinSecret is required"):
        render([], "signing.pkcs11.module=/usr/lib/softhsm/libsofthsm2.so")


def _projected_secrets(pod: dict[str, Any], volume: str) -> dict[str, list[str]]:
    """Secret name → keys, of a projected volume."""
    found = next(v for v in pod["volumes"] if v["name"] == volume)
    return {s["secret"]["name"]: [i["key"] for i in s["secret"]["items"]] for s in found["projected"]["sources"]}


def test_each_service_connects_to_nats_as_itself_with_files_from_its_own_secrets(values_files: list[Path]) -> None:
    deployments = by_kind(render(values_files), "Deployment")
    for service in SERVICES:
        pod = deployments[f"lt-lienthong-{service}"]["spec"]["template"]["spec"]
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        assert env["LIENTHONG_NATS_USER"] == service
        assert env["LIENTHONG_NATS_PASSWORD_FILE"] == "/etc/lienthong/nats/password"
        assert env["LIENTHONG_NATS_CA"] == "/etc/lienthong/nats/ca.crt"
        assert env["LIENTHONG_NATS_CERT"] == "/etc/lienthong/nats/tls.crt"
        assert _projected_secrets(pod, "nats-credentials") == {
            f"lienthong-nats-{service}": ["password"],
            "lienthong-platform-ca": ["ca.crt"],
            f"lienthong-nats-tls-{service}": ["tls.crt", "tls.key"],
        }
        mount = next(m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "nats-credentials")
        assert mount == {"name": "nats-credentials", "mountPath": "/etc/lienthong/nats", "readOnly": True}


def test_nats_without_users_or_tls_needs_no_nats_secrets() -> None:
    manifests = render([], "nats.credentials.enabled=false", "nats.tls.enabled=false")
    pod = by_kind(manifests, "Deployment")["lt-lienthong-email"]["spec"]["template"]["spec"]
    assert not any(
        e["name"].startswith("LIENTHONG_NATS_") and e["name"] != "LIENTHONG_NATS_URL"
        for e in pod["containers"][0]["env"]
    )
    assert "nats-credentials" not in [v["name"] for v in pod["volumes"]]


def test_the_nats_chart_values_are_generated_from_who_reads_what() -> None:
    """dependencies/nats-security-values.yaml is what lienthong.relay.permissions generates (run
    `python -m lienthong.relay.permissions --format helm` to update it), with every password from a Secret."""
    path = CHART / "dependencies" / "nats-security-values.yaml"
    assert path.read_text() == helm_values(StreamNames("lienthong"))
    values = yaml.safe_load(path.read_text())
    configured = values["config"]["merge"]["authorization"]["users"]
    assert [user["user"] for user in configured] == users()
    for user in configured:
        assert user["password"] == f"<< ${password_variable(user['user'])} >>"
        source = values["container"]["env"][password_variable(user["user"])]["valueFrom"]["secretKeyRef"]
        assert source == {"name": password_secret(user["user"]), "key": "password"}
    assert values["config"]["nats"]["tls"]["merge"]["verify"] is True


def test_the_console_is_probed_over_http_trusts_only_its_named_header_and_reaches_every_service() -> None:
    manifests = render([])
    pod = by_kind(manifests, "Deployment")["lt-lienthong-console"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["LIENTHONG_CONSOLE_SIGN_IN"], env["LIENTHONG_CONSOLE_PRINCIPAL_HEADER"]) == (
        "header",
        "X-Lienthong-Principal",
    )
    assert env["LIENTHONG_DOCUMENTS_ADDR"] == "lt-lienthong-documents:50052"
    assert "LIENTHONG_DATABASE_URL" not in env  # it reads nothing but the services
    policy = by_kind(manifests, "NetworkPolicy")["lt-lienthong-console"]
    assert _egress_ports(policy) == {53, 50051, 50052, 50053, 50054, 50055}
    proxy = {"podSelector": {"matchLabels": {"lienthong.gov.vn/console-proxy": "true"}}}
    assert _ingress_peers(policy) == [proxy]
    with pytest.raises(AssertionError, match="dev signs anyone in"):
        render([], "console.signIn=dev")
    with pytest.raises(AssertionError, match="principalHeader is required"):
        render([], "console.principalHeader=")
    with pytest.raises(AssertionError, match="certHeader is required"):
        render([], "console.signIn=client-cert")
