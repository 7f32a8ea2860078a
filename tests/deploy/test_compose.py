"""docker-compose.yml and deploy/Caddyfile, checked without a Docker engine: Debian's docker-compose validates
the file against the Compose schema and interpolates it as `up` would, and Debian's caddy parses the proxy's
configuration. What a team running it relies on is asserted on what they produce: PostgreSQL and Redis shared
by two replicas, migrations once, health checks, secrets only from the environment, only the proxy reachable."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest
import yaml

from app.config import Settings
from tests.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
SECRETS = {
    "POSTGRES_PASSWORD": "test-password-not-real",
    "SOSBOARD_SECRET_KEY": "test-key-not-real",
    "SOSBOARD_DOMAIN": "board.example.org",
}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in SECRETS}
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def rendered() -> dict[str, Any]:
    """The file as `docker compose up` would read it, with the deployment's secrets in the environment."""
    done = compose("config", env=SECRETS)
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def app_services(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in config["services"].items() if "serve" in s.get("command", [])}


def test_the_file_is_valid_compose_and_starts_nothing_without_its_secrets() -> None:
    assert compose("config", "-q", env=SECRETS).returncode == 0
    for missing in SECRETS:
        done = compose("config", "-q", env={k: v for k, v in SECRETS.items() if k != missing})
        assert done.returncode != 0
        assert missing in done.stderr


def test_no_secret_is_written_in_the_file() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    for name in ("POSTGRES_PASSWORD", "SOSBOARD_SECRET_KEY"):
        assert SECRETS[name] not in text
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET|KEY)\w*:", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"a secret written in the file: {line.strip()}"


def test_two_replicas_share_postgresql_and_redis_and_are_configured_as_the_app_reads_its_settings(
    rendered: dict[str, Any],
) -> None:
    apps = app_services(rendered)
    assert len(apps) >= 2
    environments = [service["environment"] for service in apps.values()]
    assert all(env == environments[0] for env in environments)
    env = environments[0]
    settings = Settings.model_validate(
        {key.removeprefix("SOSBOARD_").lower(): _setting(value) for key, value in env.items()}
    )
    assert settings.database_url is not None and settings.database_url.startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in settings.database_url
    assert settings.broker_url == "redis://redis:6379/0"
    assert settings.secure_cookies is True
    assert settings.secret_key is not None
    known = {f"SOSBOARD_{name.upper()}" for name in Settings.model_fields}
    assert set(env) <= known, f"settings the app does not know: {set(env) - known}"
    # The proxy's address is the one the app believes for X-Forwarded-For.
    proxy_address = rendered["services"]["proxy"]["networks"]["backend"]["ipv4_address"]
    assert settings.trusted_proxies == [proxy_address]


def _setting(value: str) -> Any:
    return json.loads(value) if value.startswith("[") else value


def test_migrations_run_once_before_the_replicas_and_every_server_has_a_health_check(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    migrate = services["migrate"]
    assert migrate["command"][-1] == "migrate"
    assert migrate.get("restart") == "no"
    for name, app in app_services(rendered).items():
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert app["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert app["depends_on"]["redis"]["condition"] == "service_healthy", name
    for name, service in services.items():
        if name != "migrate":
            check = service.get("healthcheck", {})
            assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    assert {dep: c["condition"] for dep, c in services["proxy"]["depends_on"].items()} == {
        name: "service_healthy" for name in app_services(rendered)
    }


def test_only_the_proxy_can_be_reached_from_outside(rendered: dict[str, Any]) -> None:
    services = rendered["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert {(port["published"], port["target"]) for port in services["proxy"]["ports"]} == {(80, 80), (443, 443)}
    assert rendered["networks"]["backend"]["internal"] is True
    for name in ("postgres", "redis", "migrate", *app_services(rendered)):
        assert set(services[name]["networks"]) == {"backend"}, name


def test_the_proxy_serves_https_only_and_balances_websockets_over_the_replicas(rendered: dict[str, Any]) -> None:
    done = subprocess.run(
        ["caddy", "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**os.environ, "SOSBOARD_DOMAIN": SECRETS["SOSBOARD_DOMAIN"], "SOSBOARD_TLS": "internal"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    text = json.dumps(config)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    assert server["listen"] == [":443"]
    assert SECRETS["SOSBOARD_DOMAIN"] in text
    handler = _find(config, lambda node: node.get("handler") == "reverse_proxy")
    upstreams = {u["dial"] for u in handler["upstreams"]}
    assert upstreams == {f"{name}:8000" for name in app_services(rendered)}
    assert handler["health_checks"]["active"]["uri"] == "/api/health"
    policy = _find(config, lambda node: "protocol_min" in node)
    assert policy["protocol_min"] == "tls1.2"
    assert '"logs"' not in text  # no access log: request lines name meetings


def _find(node: Any, matches: Any) -> dict[str, Any]:
    if isinstance(node, dict):
        if matches(node):
            return node
        children: list[Any] = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        children = []
    for child in children:
        try:
            return _find(child, matches)
        except LookupError:
            continue
    raise LookupError("not found")


def test_the_image_runs_the_app_from_the_pinned_lock() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in dockerfile
    for source in re.findall(r"^COPY (\S+) ", dockerfile, re.M):
        assert (ROOT / source).exists(), f"the image copies {source}, which is not in the tree"
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M), "the app must not run as root"
