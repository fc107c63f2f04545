"""Static checks of the production container setup.

Covers Dockerfile, .dockerignore and docker-compose.yml. No Docker engine is
needed: the compose file is read with ``yaml.safe_load`` and checked in plain
Python. The only test that runs Docker is ``docker compose config``, which works
without a daemon.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"

VALID_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
ONE_SHOT_JOBS = {"temporal-admin-tools", "temporal-create-namespace", "mandate-migrate"}
LONG_RUNNING_RESTARTS = {"always", "unless-stopped"}
MANDATE_COMMANDS = {"mandate-api": "api", "mandate-worker": "worker", "mandate-migrate": "migrate"}
DB_URL = (
    "postgresql+psycopg://${POSTGRES_USER:-mandate}:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
    "@postgresql:5432/mandate"
)
EXPECTED_MANDATE_ENV = {
    "MANDATE_DATABASE_URL": DB_URL,
    "MANDATE_TEMPORAL_ADDRESS": "temporal:7233",
    "MANDATE_TEMPORAL_NAMESPACE": "default",
    "MANDATE_TASK_QUEUE": "mandate",
    "MANDATE_DATA_DIR": "/data",
    "MANDATE_API_HOST": "0.0.0.0",  # noqa: S104 - the container must listen on all interfaces
    "MANDATE_API_PORT": "8000",
    "MANDATE_KEYS_DIR": "/keys",
    "MANDATE_LOG_ORIGIN": "mandate.example.org/log",
    "MANDATE_SMTP_HOST": "${MANDATE_SMTP_HOST:?set MANDATE_SMTP_HOST}",
    "MANDATE_SMTP_PORT": "587",
    "MANDATE_SMTP_SECURITY": "starttls",
    "MANDATE_SMTP_USERNAME": "${MANDATE_SMTP_USERNAME:?set MANDATE_SMTP_USERNAME}",
    "MANDATE_SMTP_PASSWORD": "${MANDATE_SMTP_PASSWORD:?set MANDATE_SMTP_PASSWORD}",
    "MANDATE_MAIL_FROM": "${MANDATE_MAIL_FROM:?set MANDATE_MAIL_FROM}",
    "MANDATE_PUBLIC_URL": "https://mandate.example.org",
}
# A password may only come from a required variable: ${NAME:?message}.
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z_][A-Z0-9_]*:\?[^}]+\}")
SECRET_LIKE_KEY = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|TOKEN", re.IGNORECASE)
URL_USERINFO = re.compile(r"://(?P<userinfo>[^/]*)@")
SCHEMA_DIR = "/etc/temporal/schema/postgresql/v12/{}/versioned"
SHELL_OPERATORS = {"||", "&&", "|", ";"}
WILDCARD_IPS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 - host IPs read, not bound


# --------------------------------------------------------------------------- helpers


@functools.cache
def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    assert services
    return services


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    """Dependency name -> condition, for both the list and the mapping syntax."""
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        pairs = (item.split("=", 1) for item in env)
        return {pair[0]: pair[1] if len(pair) == 2 else "" for pair in pairs}
    assert isinstance(env, dict)
    return {str(key): value for key, value in env.items()}


def _script(service: dict[str, Any]) -> str:
    command = service.get("command", "")
    return command if isinstance(command, str) else "\n".join(command)


def _simple_commands(script: str) -> list[list[str]]:
    """Shell script -> token list per simple command.

    Backslash continuations are joined; lists and pipelines (``||``, ``&&``, ``|``,
    ``;``) are split into their commands.
    """
    commands: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        current: list[str] = []
        for token in shlex.split(line, comments=True):
            if token in SHELL_OPERATORS:
                commands.append(current)
                current = []
            else:
                current.append(token)
        commands.append(current)
    return [command for command in commands if command]


def _url_password(value: str) -> str | None:
    """The password part of a URL's user info; ``:`` inside ``${...}`` does not split."""
    match = URL_USERINFO.search(value)
    if match is None:
        return None
    userinfo = match.group("userinfo")
    depth = 0
    for index, char in enumerate(userinfo):
        if userinfo.startswith("${", index):
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == ":" and not depth:
            return userinfo[index + 1 :]
    return None


def _published_ports(service: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(host ip, host port, protocol) for each port the service publishes on the host."""
    published: list[tuple[str, int, str]] = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            if entry.get("published") is None:
                continue
            published.append(
                (
                    str(entry.get("host_ip", "")),
                    int(entry["published"]),
                    str(entry.get("protocol", "tcp")),
                )
            )
            continue
        spec, _, protocol = str(entry).partition("/")
        parts = spec.rsplit(":", 2)
        if len(parts) == 1:  # container port only: the host port is ephemeral
            continue
        host_ip = parts[0] if len(parts) == 3 else ""
        published.append((host_ip, int(parts[-2]), protocol or "tcp"))
    return published


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    buffer = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and not buffer):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        keyword, _, arguments = buffer.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        buffer = ""
    assert not buffer, "Dockerfile ends inside a continuation line"
    return instructions


def _top_level(path: str) -> str:
    """First component of a build-context path ("." for the whole context)."""
    parts = Path(path).parts
    return parts[0] if parts else "."


def _pyproject_packages() -> list[str]:
    pyproject = tomllib.loads(PYPROJECT.read_text())
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = sorted({pattern.split(".")[0].rstrip("*") for pattern in patterns})
    assert packages
    return packages


# --------------------------------------------------------------------------- compose: shape


def test_every_service_has_an_image_or_a_build() -> None:
    missing = [
        name for name, svc in _services().items() if "image" not in svc and "build" not in svc
    ]
    assert not missing, f"services without image or build: {missing}"


def test_depends_on_names_existing_services_with_valid_conditions() -> None:
    services = _services()
    for name, svc in services.items():
        for dep, condition in _depends_on(svc).items():
            assert dep in services, f"{name} depends on unknown service {dep!r}"
            assert dep != name, f"{name} depends on itself"
            assert condition in VALID_CONDITIONS, f"{name} -> {dep}: bad condition {condition!r}"


def test_dependency_graph_has_no_cycles() -> None:
    graph = {name: set(_depends_on(svc)) for name, svc in _services().items()}
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, f"dependency cycle: {' -> '.join((*path, node))}"
        if node in done:
            return
        for dep in graph[node]:
            visit(dep, (*path, node))
        done.add(node)

    for node in graph:
        visit(node, ())


def test_one_shot_jobs_are_awaited_until_they_complete() -> None:
    services = _services()
    assert services.keys() >= ONE_SHOT_JOBS
    awaited: set[str] = set()
    for name, svc in services.items():
        for dep, condition in _depends_on(svc).items():
            if dep in ONE_SHOT_JOBS:
                assert condition == "service_completed_successfully", (
                    f"{name} must wait for one-shot job {dep} with service_completed_successfully"
                )
                awaited.add(dep)
    assert awaited == ONE_SHOT_JOBS, f"jobs nobody waits for: {ONE_SHOT_JOBS - awaited}"
    for job in ONE_SHOT_JOBS:
        svc = services[job]
        assert str(svc.get("restart", "no")) not in LONG_RUNNING_RESTARTS, job
        assert not svc.get("ports"), f"one-shot job {job} publishes ports"


def test_long_running_services_restart() -> None:
    for name, svc in _services().items():
        if name not in ONE_SHOT_JOBS:
            assert svc.get("restart") in LONG_RUNNING_RESTARTS, f"{name} has no restart policy"


def test_no_service_uses_the_deprecated_auto_setup_image() -> None:
    for name, svc in _services().items():
        assert "auto-setup" not in str(svc.get("image", "")), f"{name} uses auto-setup"


def test_image_tags_are_pinned() -> None:
    for name, svc in _services().items():
        image = svc.get("image")
        if image is None:
            continue
        repository, _, tag = str(image).rpartition(":")
        assert repository, f"{name}: bad image {image!r}"
        assert tag not in {"", "latest"}, f"{name}: unpinned image {image!r}"


# --------------------------------------------------------------------------- compose: postgres


def test_postgres_creates_the_app_database_and_has_a_healthcheck() -> None:
    compose = _compose()
    pg = _services()["postgresql"]
    assert pg["image"] == "postgres:16"
    env = _env(pg)
    assert env["POSTGRES_DB"] == "mandate"
    assert env["POSTGRES_USER"] == "${POSTGRES_USER:-mandate}"
    assert REQUIRED_VARIABLE.fullmatch(env["POSTGRES_PASSWORD"])
    assert "pg_isready" in json.dumps(pg["healthcheck"]["test"])
    (volume,) = pg["volumes"]
    source, target = volume.split(":")[:2]
    assert target == "/var/lib/postgresql/data"
    assert source in compose["volumes"], "postgres data must be on a named volume"
    assert not pg.get("ports"), "the database is not published on the host"


# --------------------------------------------------------------------------- compose: temporal


def test_temporal_server_uses_postgres() -> None:
    temporal = _services()["temporal"]
    assert temporal["image"] == "temporalio/server:1.29"
    env = _env(temporal)
    assert env["DB"] == "postgres12"
    assert env["DB_PORT"] == "5432"
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env["POSTGRES_USER"] == "${POSTGRES_USER:-mandate}"
    assert REQUIRED_VARIABLE.fullmatch(env["POSTGRES_PWD"])
    assert _depends_on(temporal) == {"temporal-admin-tools": "service_completed_successfully"}
    assert 7233 in {port for _, port, _ in _published_ports(temporal)}
    assert "healthcheck" in temporal


def test_temporal_dynamic_config_is_provided() -> None:
    temporal = _services()["temporal"]
    path = _env(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    targets = {cfg["target"]: cfg["source"] for cfg in temporal["configs"]}
    assert path in targets
    content = _compose()["configs"][targets[path]]["content"]
    assert isinstance(yaml.safe_load(content), dict)


def test_schema_job_creates_and_migrates_both_temporal_databases() -> None:
    job = _services()["temporal-admin-tools"]
    assert job["image"] == "temporalio/admin-tools:1.29"
    assert _depends_on(job) == {"postgresql": "service_healthy"}
    lines = [tokens for tokens in _simple_commands(_script(job)) if "temporal-sql-tool" in tokens]
    assert lines
    for tokens in lines:
        assert tokens[tokens.index("--plugin") + 1] == "postgres12"
        assert tokens[tokens.index("--ep") + 1] == "postgresql"

    def commands_for(db: str) -> list[list[str]]:
        return [t for t in lines if "--db" in t and t[t.index("--db") + 1] == db]

    for db, schema in (("temporal", "temporal"), ("temporal_visibility", "visibility")):
        commands = commands_for(db)
        assert any("create-database" in t for t in commands), f"{db}: no create-database"
        setup = [t for t in commands if "setup-schema" in t]
        assert setup, f"{db}: no setup-schema"
        assert setup[0][setup[0].index("-v") + 1] == "0.0"
        update = [t for t in commands if "update-schema" in t]
        assert update, f"{db}: no update-schema"
        assert update[0][update[0].index("-d") + 1] == SCHEMA_DIR.format(schema)
        order = [next(i for i, t in enumerate(lines) if t is cmd) for cmd in (setup[0], update[0])]
        assert order == sorted(order), f"{db}: update-schema runs before setup-schema"
    # The password comes from the environment, not from the command line.
    assert REQUIRED_VARIABLE.fullmatch(_env(job)["SQL_PASSWORD"])
    assert "--pw" not in _script(job)
    assert "--password" not in _script(job)


def test_namespace_job_creates_the_default_namespace() -> None:
    job = _services()["temporal-create-namespace"]
    assert job["image"] == "temporalio/admin-tools:1.29"
    assert _depends_on(job) == {"temporal": "service_healthy"}
    lines = _simple_commands(_script(job))
    creates = [t for t in lines if t[:4] == ["temporal", "operator", "namespace", "create"]]
    assert creates, "no `temporal operator namespace create --namespace default`"
    for t in creates:
        assert t[t.index("--namespace") + 1] == "default"
        assert t[t.index("--address") + 1] == "temporal:7233"


def test_temporal_ui() -> None:
    ui = _services()["temporal-ui"]
    assert ui["image"] == "temporalio/ui:2.34"
    assert _env(ui)["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert 8080 in {port for _, port, _ in _published_ports(ui)}


# --------------------------------------------------------------------------- compose: mandate


@pytest.mark.parametrize(("service", "command"), sorted(MANDATE_COMMANDS.items()))
def test_mandate_services_run_their_command_with_the_full_environment(
    service: str, command: str
) -> None:
    svc = _services()[service]
    assert svc["build"] == "."
    assert svc["command"] == [command]
    env = _env(svc)
    for key, value in EXPECTED_MANDATE_ENV.items():
        assert env.get(key) == value, f"{service}: {key}={env.get(key)!r}"


def test_mandate_environment_comes_from_the_shared_anchor() -> None:
    shared = _compose()["x-mandate-env"]
    assert shared == EXPECTED_MANDATE_ENV
    for service in MANDATE_COMMANDS:
        assert _env(_services()[service]) == shared


def test_environment_values_are_strings() -> None:
    for name, svc in _services().items():
        for key, value in _env(svc).items():
            assert isinstance(value, str), f"{name}: {key} must be a quoted string"


def test_every_mandate_variable_is_a_settings_field() -> None:
    from mandate.settings import Settings

    prefix = str(Settings.model_config.get("env_prefix", ""))
    assert prefix.upper() == "MANDATE_"
    fields = set(Settings.model_fields)
    used = set(re.findall(r"\bMANDATE_[A-Z0-9_]+\b", COMPOSE_FILE.read_text()))
    assert set(EXPECTED_MANDATE_ENV) <= used
    unknown = sorted(name for name in used if name.removeprefix("MANDATE_").lower() not in fields)
    assert not unknown, f"not fields of mandate.settings.Settings: {unknown}"


def test_api_and_workers_depend_on_migrations_and_namespace() -> None:
    expected = {
        "mandate-migrate": "service_completed_successfully",
        "temporal-create-namespace": "service_completed_successfully",
    }
    services = _services()
    assert _depends_on(services["mandate-api"]) == expected
    assert _depends_on(services["mandate-worker"]) == expected
    assert _depends_on(services["mandate-migrate"]) == {"postgresql": "service_healthy"}


def test_api_healthcheck_uses_urllib_on_healthz() -> None:
    api = _services()["mandate-api"]
    test = api["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert "curl" not in test
    assert "wget" not in test
    assert "urllib" in " ".join(test)
    assert "http://localhost:8000/healthz" in " ".join(test)
    assert 8000 in {port for _, port, _ in _published_ports(api)}


def test_workers_scale_out() -> None:
    worker = _services()["mandate-worker"]
    assert worker["deploy"]["replicas"] >= 2
    assert not worker.get("ports"), "replicated workers cannot publish fixed host ports"
    assert "container_name" not in worker


def test_data_directory_is_a_named_volume() -> None:
    volumes = _compose()["volumes"]
    for service in ("mandate-api", "mandate-worker"):
        sources = {}
        for mount in _services()[service]["volumes"]:
            source, target = mount.split(":")[:2]
            sources[target] = source
        assert sources.get("/data") in volumes, f"{service}: /data is not a named volume"


# --------------------------------------------------------------------------- compose: safety


def test_published_ports_do_not_collide() -> None:
    seen: dict[tuple[int, str], list[tuple[str, str]]] = {}
    for name, svc in _services().items():
        for host_ip, port, proto in _published_ports(svc):
            for other_ip, other in seen.get((port, proto), []):
                overlap = host_ip == other_ip or bool(WILDCARD_IPS & {host_ip, other_ip})
                assert not overlap, f"{name} and {other} both publish {port}/{proto}"
            seen.setdefault((port, proto), []).append((host_ip, name))
        replicas = svc.get("deploy", {}).get("replicas", 1)
        if replicas > 1:
            assert not _published_ports(svc), f"{name} has {replicas} replicas and fixed ports"


def test_every_secret_referenced_is_declared() -> None:
    declared = _compose().get("secrets", {})
    referenced: set[str] = set()
    for name, svc in _services().items():
        for entry in svc.get("secrets", []):
            source = entry if isinstance(entry, str) else entry["source"]
            assert source in declared, f"{name} uses undeclared secret {source!r}"
            referenced.add(source)
    assert referenced == set(declared), "declared secrets nobody uses"


def test_signing_keys_are_mounted_where_the_app_reads_them() -> None:
    for name, svc in _services().items():
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc.get("volumes", [])}
        signs = name in ("mandate-api", "mandate-worker")
        # Only the processes that sign see the private keys.
        assert (mounts.get("/keys") == "mandate-keys") is signs, name
        if signs:
            assert _env(svc)["MANDATE_KEYS_DIR"] == "/keys", name
    assert "mandate-keys" in _compose()["volumes"]


def test_no_plaintext_passwords() -> None:
    for name, svc in _services().items():
        for key, value in _env(svc).items():
            if SECRET_LIKE_KEY.search(key) and not key.endswith("_FILE"):
                assert REQUIRED_VARIABLE.fullmatch(value), f"{name}: {key} is not ${{VAR:?...}}"
            password = _url_password(value)
            if password is not None:
                assert REQUIRED_VARIABLE.fullmatch(password), f"{name}: {key} embeds a password"
    text = COMPOSE_FILE.read_text()
    # The password variable is always required: never given a default, never optional.
    for use in re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", text):
        assert REQUIRED_VARIABLE.fullmatch(use), use
    # Secret material never appears on a command line.
    for name, svc in _services().items():
        assert "POSTGRES_PASSWORD" not in _script(svc), name


# --------------------------------------------------------------------------- docker compose


def test_docker_compose_config_is_valid() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("the docker client is not installed")
    probe = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, timeout=60, check=False
    )
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["no output"])[0]
        pytest.skip(f"the docker compose plugin is not installed ({reason})")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "compose-config-check",
        "MANDATE_SMTP_HOST": "smtp.example.org",
        "MANDATE_SMTP_USERNAME": "mandate",
        "MANDATE_SMTP_PASSWORD": "compose-config-check",
        "MANDATE_MAIL_FROM": "Mandate <campaigns@example.org>",
    }
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- Dockerfile


def test_dockerfile_base_image_user_and_entrypoint() -> None:
    instructions = _dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    args = dict(instructions)  # last one of each kind wins, as in Docker
    assert keywords.count("FROM") == 1
    assert args["FROM"] == "python:3.11-slim"
    assert json.loads(args["ENTRYPOINT"]) == ["mandate"]
    assert json.loads(args["CMD"]) == ["api"]
    assert "8000" in args["EXPOSE"].split()
    user = args["USER"].split(":")[0]
    assert user not in {"root", "0"}
    # The image ends as the unprivileged user: no instruction after USER needs root.
    assert "RUN" not in keywords[keywords.index("USER") :]


def test_dockerfile_copies_every_package_pyproject_lists() -> None:
    copied: set[str] = set()
    for keyword, arguments in _dockerfile_instructions():
        if keyword != "COPY":
            continue
        paths = [a for a in shlex.split(arguments) if not a.startswith("--")]
        copied.update(_top_level(src) for src in paths[:-1])
    assert "pyproject.toml" in copied
    for package in _pyproject_packages():
        assert package in copied or "." in copied, f"Dockerfile does not copy {package}/"
        assert (ROOT / package).is_dir(), f"{package}/ missing from the repository"


def test_dockerfile_installs_dependencies_before_copying_sources() -> None:
    instructions = _dockerfile_instructions()
    packages = set(_pyproject_packages())

    def first(predicate: Callable[[str, str], bool]) -> int:
        return next(i for i, instruction in enumerate(instructions) if predicate(*instruction))

    deps = first(lambda k, a: k == "RUN" and "pip install" in a)
    sources = first(
        lambda k, a: k == "COPY" and bool(packages & {_top_level(p) for p in shlex.split(a)})
    )
    install = first(lambda k, a: k == "RUN" and "pip install --no-cache-dir ." in a)
    assert deps < sources < install, "dependency layer must come before the source layers"
    assert all("--no-cache-dir" in a for k, a in instructions if k == "RUN" and "pip install" in a)


def test_dockerignore_excludes_local_state_and_secrets() -> None:
    entries = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    required = {
        ".venv",
        "data",
        ".git",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "tests",
        "bench",
        "secrets",
    }
    assert required <= entries, f"missing from .dockerignore: {sorted(required - entries)}"
    needed = {"pyproject.toml", *_pyproject_packages()}
    assert not needed & entries, "the build context must keep pyproject.toml and the packages"
