"""The sample deployment files of ``deploy/``, checked as far as this machine allows (Docker's engine is
not on it: the image is not built here):

- ``compose.yaml`` against the Compose specification's schema (the copy vendored by check-jsonschema), then
  for what a schema cannot see: two servers and two workers on the same PostgreSQL, Redis and bucket, with
  an environment the production checks accept, a health check on ``/healthz``, the load balancer's
  upstreams;
- the systemd units with ``systemd-analyze verify`` (no error, no warning);
- ``env.example`` with the production checks;
- the README's configuration table against every variable ``config.py`` reads.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import production_problems

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
APP_SERVICES = ("web-a", "web-b", "worker-a", "worker-b", "migrate")
# What an operator puts in deploy/.env (env.compose.example).
SECRETS = {
    "SECRET_KEY": secrets.token_urlsafe(48),
    "POSTGRES_PASSWORD": secrets.token_urlsafe(16),
    "S3_ACCESS_KEY_ID": "tig",
    "S3_SECRET_ACCESS_KEY": secrets.token_urlsafe(24),
}
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def load_yaml(path: Path):
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def interpolate(value: str, given: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``, then ``$$`` → ``$``."""

    def replace(match: re.Match) -> str:
        name, operator, argument = match.groups()
        if given.get(name):
            return given[name]
        if operator and "?" in operator:
            raise KeyError(f"{name} : {argument}")
        return argument or ""

    return _VARIABLE.sub(replace, value).replace("$$", "$")


def config_variables() -> set[str]:
    text = (ROOT / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r'(?:environ\.get|_env_int|_env_bool|_env_float)\(\s*"([A-Z][A-Z0-9_]+)"', text))


def readme_table_variables() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {
        name
        for line in text.splitlines()
        if line.startswith("| `")
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line)
    }


# --- configuration documented ---------------------------------------------------------------------------


def test_every_variable_config_reads_is_in_the_readme_table():
    variables = config_variables()
    assert {"RATELIMIT_STORAGE_URI", "REDIS_TIMEOUT_SECONDS", "HEALTHZ_TIMEOUT_SECONDS", "S3_BUCKET"} <= variables
    assert variables - readme_table_variables() == set()


# --- compose.yaml -------------------------------------------------------------------------------------------


def test_the_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).with_name("check-jsonschema")
    assert checker.is_file(), "check-jsonschema manque : make install (dépendance de développement)"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(DEPLOY / "compose.yaml")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def compose():
    return load_yaml(DEPLOY / "compose.yaml")


def environment(service: dict, given: dict[str, str]) -> dict[str, str]:
    return {name: interpolate(str(value), given) for name, value in service["environment"].items()}


def test_the_compose_layout_is_two_servers_and_two_workers_on_shared_parts(compose):
    services = compose["services"]
    assert set(services) == {*APP_SERVICES, "lb", "postgres", "redis", "s3", "clamav"}
    environments = [environment(services[name], SECRETS) for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)  # one secret, one database, one Redis, one bucket
    env = environments[0]
    assert production_problems(env) == []
    assert env["DATABASE_URL"].split("@")[1] == "postgres/tig"
    assert env["RATELIMIT_STORAGE_URI"] == "redis://redis:6379/0"
    assert (env["STORAGE_BACKEND"], env["S3_ENDPOINT_URL"]) == ("s3", "http://s3:9000")
    assert env["CLAMD_HOST"] == "clamav"
    assert set(env) <= readme_table_variables()
    # The bucket server knows the keys the app uses, and holds the app's bucket.
    s3 = services["s3"]
    assert environment(s3, SECRETS)["S3_ACCESS_KEY_ID"] == env["S3_ACCESS_KEY_ID"]
    assert f"/data/{env['S3_BUCKET']}" in s3["command"][0]

    for name in ("web-a", "web-b"):
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"])
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("worker-a", "worker-b"):
        assert services[name]["command"] == ["flask", "--app", "wsgi", "worker"]
    assert services["migrate"]["command"] == ["flask", "--app", "wsgi", "db", "upgrade"]
    assert set(services["lb"]["depends_on"]) == {"web-a", "web-b"}
    upstreams = re.findall(r"^\s*server ([\w.-]+):8000", (DEPLOY / "nginx.conf").read_text(), re.MULTILINE)
    assert sorted(upstreams) == ["web-a", "web-b"]


def test_the_compose_file_refuses_to_start_without_its_secrets(compose):
    for name in SECRETS:
        missing = {key: value for key, value in SECRETS.items() if key != name}
        with pytest.raises(KeyError, match=name):
            [environment(service, missing) for service in compose["services"].values() if "environment" in service]
    example = (DEPLOY / "env.compose.example").read_text(encoding="utf-8")
    assert set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, re.MULTILINE)) == set(SECRETS)
    assert "deploy/.env" in (ROOT / ".gitignore").read_text().split()


def test_the_image_copies_what_exists_and_serves_wsgi_app():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    sources = [
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert sources and all((ROOT / source).exists() for source in sources), sources
    assert '"wsgi:app"' in dockerfile


# --- systemd units and the environment file ----------------------------------------------------------------


def test_the_systemd_units_pass_systemd_analyze_verify(tmp_path):
    """Verified with the paths of this checkout (``verify`` checks that each command exists) and the web
    template instantiated on a port."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze manque : paquet Debian systemd (.ci/run l'installe)"
    units = sorted((DEPLOY / "systemd").iterdir())
    assert {unit.name for unit in units} >= {"tig-web@.service", "tig-worker.service", "tig-partenaires.target"}
    for unit in units:
        name = unit.name.replace("@.", "@8000.")
        (tmp_path / name).write_text(unit.read_text(encoding="utf-8").replace("/srv/tig-partenaires", str(ROOT)))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *sorted(str(path) for path in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result.stdout + result.stderr
    web = (DEPLOY / "systemd" / "tig-web@.service").read_text()
    assert "wsgi:app" in web and "EnvironmentFile=/etc/tig-partenaires/env" in web
    assert "flask --app wsgi worker" in (DEPLOY / "systemd" / "tig-worker.service").read_text()


def test_the_environment_example_is_accepted_by_production():
    env = {}
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            env[name] = secrets.token_urlsafe(48) if name == "SECRET_KEY" else re.sub(r"<[^>]*>", "exemple", value)
    assert production_problems(env) == []
    assert env["RATELIMIT_STORAGE_URI"].startswith("redis://") and env["STORAGE_BACKEND"] == "s3"
    assert set(env) <= readme_table_variables()
