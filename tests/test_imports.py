"""The app packages import one way and in no circle; store/ keeps no module-level mutable state.

The import graph is read from the source with ``ast``, not by importing it. Every ``import x``
and ``from x import y`` counts (``y`` itself when it is a submodule), wherever it stands: at
module level, under ``if TYPE_CHECKING:``, or inside a function. A late import still ties two
modules together, so it counts toward a circle and is named as such in the report; the only
imports left out are those in ``LAZY_IMPORTS``, each a lazy import of something heavy, with its
reason. The layering is docs/DESIGN.md's: ``policies``, ``records`` ← ``store`` ← ``activities``
← ``workflows``; ``api`` (and ``web``) use ``store``, ``policies`` and ``records``.

Module-level mutable state in store/, the simple rule:

- no ``global`` statement;
- no module-level assignment of a list, dict or set (a display, a comprehension, or a call to
  ``list``, ``dict``, ``set``, ``defaultdict``, ``OrderedDict``, ``Counter``, ``deque``,
  ``bytearray``); a constant table is an UPPER_CASE name bound to a ``tuple``, ``frozenset`` or
  ``MappingProxyType``;
- no ``functools.cache`` or ``lru_cache`` on a module-level function (a cache is state too).

Per-process state belongs to an object the caller builds and passes on, as the ``Database``
handle holds its key ring.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mandate", "api", "workflows", "activities", "policies", "records", "store", "i18n")
OPTIONAL_PACKAGES = ("web",)  # in docs/DESIGN.md, not written yet

# (importing module, imported module) -> why the import is late. Such an import is left out of
# the circle check, so it must be a lazy import of something heavy, never a way round a circle.
LAZY_IMPORTS: Mapping[tuple[str, str], str] = {}

# package -> the packages it must not import (docs/DESIGN.md, "Architecture").
_APP = {"store", "activities", "workflows", "api", "web", "mandate"}
FORBIDDEN: Mapping[str, frozenset[str]] = {
    "policies": frozenset({*_APP, "i18n"}),
    "records": frozenset({*_APP, "i18n"}),
    "i18n": frozenset({*_APP, "records"}),
    "store": frozenset({"activities", "workflows", "api", "web", "mandate"}),
    "activities": frozenset({"workflows", "api", "web", "mandate"}),
    "workflows": frozenset({"store", "api", "web", "mandate"}),
    "api": frozenset({"web"}),
}

MODULE, TYPE_CHECKING, FUNCTION = "module", "TYPE_CHECKING", "function"


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    path: str
    line: int
    kind: str  # MODULE, TYPE_CHECKING or FUNCTION

    def __str__(self) -> str:
        late = "" if self.kind == MODULE else f", {self.kind} import"
        return f"{self.target} ({self.path}:{self.line}{late})"


def modules_of(root: Path, packages: Sequence[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every .py file under ``packages``."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(root: Path, packages: Sequence[str]) -> list[Import]:
    """Every import from one of ``packages``' modules to another of them."""
    modules = modules_of(root, packages)

    def known(name: str) -> str | None:
        """The module ``name`` names, or the nearest module above it (``a.b.func`` -> ``a.b``)."""
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found: list[Import] = []
    for source, path in modules.items():
        is_package = path.name == "__init__.py"
        here = source if is_package else source.rpartition(".")[0]
        shown = str(path.relative_to(root))
        for node, kind in _import_nodes(ast.parse(path.read_text(), shown)):
            if isinstance(node, ast.Import):
                targets = [known(alias.name) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                # ``from a import b`` imports the submodule a.b when there is one.
                targets = [known(f"{base}.{alias.name}") or known(base) for alias in node.names]
            for target in dict.fromkeys(targets):
                if target is not None and target != source:
                    found.append(Import(source, target, shown, node.lineno, kind))
    return found


def _import_nodes(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    def walk(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, kind
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from walk(child, FUNCTION)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for stmt in child.body:
                    yield from walk_one(stmt, FUNCTION if kind == FUNCTION else TYPE_CHECKING)
                for stmt in child.orelse:
                    yield from walk_one(stmt, kind)
            else:
                yield from walk(child, kind)

    def walk_one(stmt: ast.stmt, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        holder = ast.Module(body=[stmt], type_ignores=[])
        yield from walk(holder, kind)

    yield from walk(tree, MODULE)


def cycles(imports: Sequence[Import]) -> list[tuple[list[Import], set[str]]]:
    """One shortest cycle in each strongly connected group of modules, and the whole group."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in imports:
        # Where one module imports another twice, a module-level import is the one to name.
        edges = graph.setdefault(imp.source, {})
        if imp.target not in edges or imp.kind == MODULE:
            edges[imp.target] = imp
        graph.setdefault(imp.target, {})
    found = []
    for group in _strongly_connected(graph):
        start = min(group)
        found.append((_shortest_cycle(graph, group, start), group))
    return found


def _strongly_connected(graph: Mapping[str, Mapping[str, Import]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; only groups of two or more modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        groups.append(group)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return groups


def _shortest_cycle(
    graph: Mapping[str, Mapping[str, Import]], group: set[str], start: str
) -> list[Import]:
    came_by: dict[str, Import] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, imp in sorted(graph[node].items()):
            if target not in group:
                continue
            if target == start:
                path = [imp]
                while path[0].source != start:
                    path.insert(0, came_by[path[0].source])
                return path
            if target not in came_by:
                came_by[target] = imp
                queue.append(target)
    raise AssertionError(f"no cycle through {start} in {sorted(group)}")  # pragma: no cover


def describe(cycle: Sequence[Import]) -> str:
    return " -> ".join([cycle[0].source, *map(str, cycle)])


def cycle_report(imports: Sequence[Import]) -> list[str]:
    """The circles, those held by module-level imports apart from those a late import closes."""
    checked = [i for i in imports if (i.source, i.target) not in LAZY_IMPORTS]
    report = []
    for cycle, group in cycles(checked):
        late = any(i.kind != MODULE for i in cycle)
        # A function-level or TYPE_CHECKING import does not make a circle go away.
        prefix = "circle closed by a late import: " if late else "circle: "
        others = sorted(group - {i.source for i in cycle})
        tangled = f"; tangled with it: {', '.join(others)}" if others else ""
        report.append(prefix + describe(cycle) + tangled)
    return report


def layering_report(imports: Sequence[Import]) -> list[str]:
    report = []
    for imp in imports:
        source, target = imp.source.split(".")[0], imp.target.split(".")[0]
        if target in FORBIDDEN.get(source, frozenset()):
            report.append(f"{source} must not import {target}: {imp.source} -> {imp}")
    return report


# -- module-level mutable state

_MUTABLE_CALLS = {
    "list",
    "dict",
    "set",
    "defaultdict",
    "OrderedDict",
    "Counter",
    "deque",
    "bytearray",
}
_IMMUTABLE_CALLS = {"tuple", "frozenset", "MappingProxyType"}
_MUTABLE_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_CACHES = {"cache", "lru_cache"}


def _called(node: ast.expr) -> str | None:
    """The name a call calls (``collections.defaultdict(...)`` -> ``defaultdict``)."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func.func if isinstance(node.func, ast.Call) else node.func  # lru_cache()(f)
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _module_level(body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements that run at import, through if/try/with blocks but not into defs."""
    for stmt in body:
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            if not isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                yield from _module_level(getattr(stmt, field, []))
        for handler in getattr(stmt, "handlers", []):
            yield from _module_level(handler.body)


def mutable_state(source: str, where: str) -> list[str]:
    """What breaks the rule of the module docstring in one module's source."""
    tree = ast.parse(source, where)
    problems = [
        f"{where}:{node.lineno}: global {', '.join(node.names)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
    ]
    for stmt in _module_level(tree.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            problems += [
                f"{where}:{stmt.lineno}: {stmt.name} keeps a module-level cache"
                for decorator in stmt.decorator_list
                if (_called(decorator) or ast.unparse(decorator).rpartition(".")[2]) in _CACHES
            ]
            continue
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign | ast.AugAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        names = [ast.unparse(t) for t in targets]
        called = _called(value)
        if isinstance(value, _MUTABLE_DISPLAYS) or called in _MUTABLE_CALLS:
            problems.append(f"{where}:{stmt.lineno}: {', '.join(names)} is a mutable container")
        elif called in _IMMUTABLE_CALLS and not all(n.lstrip("_").isupper() for n in names):
            problems.append(f"{where}:{stmt.lineno}: {', '.join(names)} should be UPPER_CASE")
    return problems


# -- the project


def _project_imports() -> list[Import]:
    present = [p for p in OPTIONAL_PACKAGES if (ROOT / p).is_dir()]
    return imports_of(ROOT, [*PACKAGES, *present])


def test_the_app_packages_are_all_read() -> None:
    imports = _project_imports()
    sources = {i.source.split(".")[0] for i in imports}
    assert sources >= set(PACKAGES) - {"policies"}  # policies is the bottom: it imports none
    # The parser sees every kind of import the project uses.
    assert {i.kind for i in imports} == {MODULE, TYPE_CHECKING, FUNCTION}
    assert any(i.source == "store.audit" and i.target == "store.db" for i in imports)


def test_no_import_circle_in_the_app_packages() -> None:
    report = cycle_report(_project_imports())
    assert report == [], "\n".join(report)


def test_the_listed_lazy_imports_are_late_imports_that_exist() -> None:
    late = {(i.source, i.target) for i in _project_imports() if i.kind == FUNCTION}
    assert [pair for pair in LAZY_IMPORTS if pair not in late] == []
    assert all(reason.strip() for reason in LAZY_IMPORTS.values())


def test_imports_follow_the_layering_of_the_design() -> None:
    report = layering_report(_project_imports())
    assert report == [], "\n".join(report)


def test_store_keeps_no_module_level_mutable_state() -> None:
    problems = []
    for path in sorted((ROOT / "store").rglob("*.py")):
        problems += mutable_state(path.read_text(), str(path.relative_to(ROOT)))
    assert problems == [], "\n".join(problems)


# -- the checks themselves, on small made-up packages


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_circle_is_named_even_when_a_late_import_closes_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/audit.py": "from pkg.db import KEYRING\n",
            "pkg/db.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import signing\n"
            ),
            "pkg/signing.py": "def ring():\n    from . import keys\n",
            "pkg/keys.py": "import pkg.audit\n",
            "other/__init__.py": "",
            "other/fine.py": "from pkg.audit import append\n",
        },
    )
    imports = imports_of(tmp_path, ["pkg", "other"])
    assert {(i.source, i.target, i.kind) for i in imports} == {
        ("pkg.audit", "pkg.db", MODULE),
        ("pkg.db", "pkg.signing", TYPE_CHECKING),
        ("pkg.signing", "pkg.keys", FUNCTION),
        ("pkg.keys", "pkg.audit", MODULE),
        ("other.fine", "pkg.audit", MODULE),
    }
    assert cycle_report(imports) == [
        "circle closed by a late import: pkg.audit -> pkg.db (pkg/audit.py:1) -> "
        "pkg.signing (pkg/db.py:3, TYPE_CHECKING import) -> "
        "pkg.keys (pkg/signing.py:2, function import) -> pkg.audit (pkg/keys.py:1)"
    ]


def test_a_circle_of_plain_imports_and_a_layer_crossing_are_reported(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "records/__init__.py": "",
            "records/a.py": "from records import b\nfrom store.db import x\n",
            "records/b.py": "from .a import thing\n",
            "store/__init__.py": "",
            "store/db.py": "import records.a\n",
        },
    )
    imports = imports_of(tmp_path, ["records", "store"])
    assert cycle_report(imports) == [
        "circle: records.a -> records.b (records/a.py:1) -> records.a (records/b.py:1); "
        "tangled with it: store.db"
    ]
    assert layering_report(imports) == [
        "records must not import store: records.a -> store.db (records/a.py:2)"
    ]


@pytest.mark.parametrize(
    "source",
    [
        "_RINGS = {}\n",
        "rings: dict[str, int] = dict()\n",
        "from collections import defaultdict\nSEEN = defaultdict(list)\n",
        "import collections\nif True:\n    QUEUE = collections.deque()\n",
        "NAMES = [n for n in 'ab']\n",
        "keys = frozenset({'a'})\n",
        "def reset():\n    global _RING\n    _RING = None\n",
        "import functools\n@functools.lru_cache(maxsize=8)\ndef ring(): ...\n",
        "from functools import cache\n@cache\ndef ring(): ...\n",
    ],
)
def test_module_level_mutable_state_is_refused(source: str) -> None:
    assert len(mutable_state(source, "m.py")) == 1


def test_constants_and_per_call_state_are_allowed() -> None:
    source = (
        "from types import MappingProxyType\n"
        "_COLUMN = MappingProxyType({'a': 'b'})\n"
        "NAMES = frozenset({'a', 'b'})\n"
        "ORDER = tuple(['a', 'b'])\n"
        "LIMIT = 5\n"
        "class Ring:\n"
        "    def __init__(self) -> None:\n"
        "        self.signers: dict[str, int] = {}\n"
        "def collect() -> list[int]:\n"
        "    found = []\n"
        "    return found\n"
    )
    assert mutable_state(source, "m.py") == []
