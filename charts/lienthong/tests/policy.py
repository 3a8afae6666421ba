"""The security and operability rules every workload the chart renders must follow, as a pure check.

`violations(documents)` reads rendered manifests and names each container that could run as root, escalate,
write its root filesystem, keep capabilities, run without seccomp, lacks resource requests and limits, or,
for a long-running service, lacks a startup, readiness or liveness probe.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Manifest = dict[str, Any]

# kind -> path from the manifest to its pod spec
POD_SPECS = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
PROBES = ("startupProbe", "readinessProbe", "livenessProbe")


def pod_spec(manifest: Manifest) -> Manifest | None:
    """The pod spec inside a workload manifest, None for other kinds."""
    path = POD_SPECS.get(manifest.get("kind", ""))
    if path is None:
        return None
    spec: Any = manifest
    for key in path:
        spec = spec.get(key, {})
    return spec if isinstance(spec, dict) else None


def violations(manifests: Iterable[Manifest]) -> list[str]:
    """Every rule broken, as `<Kind>/<name> container <c>: <rule>`, empty when all hold."""
    found: list[str] = []
    for manifest in manifests:
        spec = pod_spec(manifest)
        if spec is None:
            continue
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if spec.get("automountServiceAccountToken") is not False:
            found.append(f"{where}: mounts a service account token")
        pod_security = spec.get("securityContext") or {}
        for container in [*spec.get("initContainers", []), *spec.get("containers", [])]:
            for rule in _container_violations(container, pod_security, manifest["kind"] in LONG_RUNNING):
                found.append(f"{where} container {container['name']}: {rule}")
    return found


def _container_violations(container: Manifest, pod: Manifest, long_running: bool) -> Iterator[str]:
    own = container.get("securityContext") or {}

    def setting(key: str) -> Any:
        return own[key] if key in own else pod.get(key)

    if setting("runAsNonRoot") is not True or setting("runAsUser") == 0:
        yield "may run as root (runAsNonRoot must be true and runAsUser non-zero)"
    if own.get("allowPrivilegeEscalation") is not False:
        yield "allows privilege escalation"
    if own.get("privileged"):
        yield "is privileged"
    if own.get("readOnlyRootFilesystem") is not True:
        yield "has a writable root filesystem"
    if "ALL" not in ((own.get("capabilities") or {}).get("drop") or []):
        yield "keeps Linux capabilities (drop ALL)"
    if (setting("seccompProfile") or {}).get("type") != "RuntimeDefault":
        yield "has no RuntimeDefault seccomp profile"
    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(kind) or {}):
                yield f"has no {resource} {kind[:-1]}"
    if long_running:
        for probe in PROBES:
            if probe not in container:
                yield f"has no {probe}"
