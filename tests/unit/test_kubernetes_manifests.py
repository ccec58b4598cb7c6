"""The Kubernetes base (deploy/kubernetes) renders, validates against Kubernetes' own schemas
(kubernetes-validate, offline), and agrees with the image and the configuration it carries."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from monitor.settings.model import Settings, load_settings

ROOT = Path(__file__).parents[2]
BASE = ROOT / "deploy" / "kubernetes"
EXAMPLE_SECRET = BASE / "secret.example.yaml"
# The oldest and the newest Kubernetes whose schemas kubernetes-validate ships.
VERSIONS = ("1.25.0", kubernetes_validate.latest_version())
Resource = dict[str, Any]


def load_all(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kustomization() -> Resource:
    [document] = load_all(BASE / "kustomization.yaml")
    return document


def render() -> list[Resource]:
    """What ``kustomize build`` makes of the base: its resources, the image tags set and the
    common labels added (all this base uses)."""
    spec = kustomization()
    resources = [doc for name in spec["resources"] for doc in load_all(BASE / name)]
    tags = {image["name"]: image for image in spec.get("images", [])}
    added = {k: v for entry in spec.get("labels", []) for k, v in entry["pairs"].items()}
    for resource in resources:
        resource["metadata"].setdefault("labels", {}).update(added)
        for container in containers(resource):
            image = tags.get(container["image"])
            if image is not None:
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    return resources


def containers(resource: Resource) -> list[Resource]:
    pod = pod_spec(resource)
    return list(pod.get("containers", [])) if pod else []


def pod_spec(resource: Resource) -> Resource | None:
    template = resource.get("spec", {}).get("template")
    return template["spec"] if template else None


def one(resources: list[Resource], kind: str) -> Resource:
    [found] = [r for r in resources if r["kind"] == kind]
    return found


@pytest.fixture(scope="module")
def rendered() -> list[Resource]:
    return render()


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The ConfigMap's TOML loaded as the workers load it, with the example Secret's values
    in their environment."""
    [secret] = load_all(EXAMPLE_SECRET)
    toml = one(render(), "ConfigMap")["data"]["monitor.toml"]
    assert "database" not in tomllib.loads(toml), "the database URL belongs in the Secret"
    config = tmp_path_factory.mktemp("config") / "monitor.toml"
    config.write_text(toml, encoding="utf-8")
    return load_settings(config, environ=dict(secret["stringData"]))


def test_every_manifest_is_in_the_base_except_the_example_secret() -> None:
    listed = set(kustomization()["resources"])
    present = {path.name for path in BASE.glob("*.yaml")} - {
        "kustomization.yaml",
        EXAMPLE_SECRET.name,
    }
    assert listed == present


@pytest.mark.parametrize("version", VERSIONS)
def test_every_resource_validates_against_the_kubernetes_schemas(
    rendered: list[Resource], version: str
) -> None:
    for resource in [*rendered, *load_all(EXAMPLE_SECRET)]:
        # strict: a misspelt or misplaced key is an error, not silently ignored
        kubernetes_validate.validate(copy.deepcopy(resource), version, strict=True)


def test_a_misspelt_key_is_refused() -> None:
    deployment = one(render(), "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


def test_kustomize_renders_the_same_base_where_kubectl_is_installed() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the base is rendered by this test alone")
    result = subprocess.run(
        [kubectl, "kustomize", str(BASE)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    built = list(yaml.safe_load_all(result.stdout))
    key = lambda r: (r["kind"], r["metadata"]["name"])  # noqa: E731
    assert sorted(built, key=key) == sorted(render(), key=key)


def test_two_workers_on_postgresql_and_a_migration_job(
    rendered: list[Resource], configured: Settings
) -> None:
    deployment, job = one(rendered, "Deployment"), one(rendered, "Job")
    assert deployment["spec"]["replicas"] == 2
    [worker], [migrate] = containers(deployment), containers(job)
    assert worker["args"] == ["run", "--no-migrate"]  # the Job migrates, not the replicas
    assert migrate["args"] == ["db", "upgrade"]
    assert configured.database.url.startswith("postgresql+psycopg://")
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > configured.schedule.grace_seconds


def test_probes_and_service_use_the_configured_port(
    rendered: list[Resource], configured: Settings
) -> None:
    deployment = one(rendered, "Deployment")
    [worker] = containers(deployment)
    [port] = worker["ports"]
    assert port["containerPort"] == configured.server.port
    assert worker["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
    assert worker["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(configured.server.port)
    service = one(rendered, "Service")
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    [ingress] = one(rendered, "NetworkPolicy")["spec"]["ingress"]
    assert ingress["ports"] == [{"port": configured.server.port, "protocol": "TCP"}]


def test_every_pod_runs_as_the_image_user_on_a_read_only_root(rendered: list[Resource]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, flags=re.MULTILINE)
    assert user is not None
    for resource in (one(rendered, "Deployment"), one(rendered, "Job")):
        pod = pod_spec(resource)
        assert pod is not None
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True
        assert (context["runAsUser"], context["runAsGroup"]) == (int(user[1]), int(user[2]))
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        emptied = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"] == {"drop": ["ALL"]}
            writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in emptied}
            assert writable == {"/tmp"}
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            assert _mebibytes(limits["memory"]) >= 2 * _mebibytes(requests["memory"]) >= 2 * 96


def test_disruptions_leave_one_worker(rendered: list[Resource]) -> None:
    deployment, budget = one(rendered, "Deployment"), one(rendered, "PodDisruptionBudget")
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    assert 0 < budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_network_policy_lets_out_dns_postgresql_https_and_smtp_only(
    rendered: list[Resource],
) -> None:
    policy = one(rendered, "NetworkPolicy")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    allowed = {
        (port["port"], port["protocol"]) for rule in policy["egress"] for port in rule["ports"]
    }
    assert allowed == {
        (53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP"),
        (587, "TCP"), (465, "TCP"), (25, "TCP"),
    }  # fmt: skip
    selected = policy["podSelector"]["matchLabels"]
    for resource in (one(rendered, "Deployment"), one(rendered, "Job")):
        labels = resource["spec"]["template"]["metadata"]["labels"]
        assert selected.items() <= labels.items()


def test_the_pods_read_the_secret_and_the_config_the_base_names(rendered: list[Resource]) -> None:
    [secret] = load_all(EXAMPLE_SECRET)
    config = one(rendered, "ConfigMap")["metadata"]["name"]
    for resource in (one(rendered, "Deployment"), one(rendered, "Job")):
        pod = pod_spec(resource)
        assert pod is not None
        [container] = pod["containers"]
        assert container["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
        [volume] = [v for v in pod["volumes"] if "configMap" in v]
        assert volume["configMap"]["name"] == config
        assert {"name": "MONITOR_CONFIG", "value": "/config/monitor.toml"} in container["env"]


def _mebibytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * (1024 if unit == "Gi" else 1)
