"""The house's one direction of flow, checked on the code's own imports (docs/architecture.md).

Every import our modules make at run time (at the top of a module or inside a function;
imports under ``if TYPE_CHECKING:`` only serve type checkers) must go to a lower layer or
stay within the importing module's own package. There are no import cycles at all, and
``optimizer.core`` uses numpy and the standard library only.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("optimizer", "formulations", "instances", "benchmarks")

#: layers, lowest first; a module may import from a lower layer, or from its own package
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("optimizer.core",)),
    ("models", ("formulations", "optimizer.algorithms", "optimizer.domain")),
    ("solvers", ("optimizer.solvers",)),
    ("engine", ("optimizer.engine", "instances")),
    ("analysis", ("optimizer.analysis",)),
    ("reports", ("optimizer.reports",)),
    ("app", ("optimizer.app",)),              # the web page: everything below, imported only by the CLI
    ("public API", ("optimizer",)),          # optimizer/__init__.py: lazy re-exports of the above
    ("interfaces", ("benchmarks",)),
)

CORE_THIRD_PARTY = {"numpy"}


def module_sources(root: Path = ROOT) -> dict[str, str]:
    """Module name -> source of every module of our packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path.read_text(encoding="utf-8")
    return out


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imports_of(name: str, source: str, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every run-time import of ours in `source`."""
    tree = ast.parse(source)
    package = name if source and name in known and _is_package(name, known) else name.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            for child in getattr(node, "orelse", []):
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in known else base, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [(target, line) for target, line in found if target.split(".")[0] in PACKAGES]


def _is_package(name: str, known: set[str]) -> bool:
    return any(other.startswith(name + ".") for other in known)


def layer_of(module: str) -> tuple[int, str]:
    """(rank, package) of a module: the longest prefix listed in LAYERS."""
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (rank, prefix)
    if best is None:
        raise AssertionError(f"module {module} is in no layer: add its package to LAYERS in tests/test_architecture.py")
    return best


def violations(sources: dict[str, str]) -> list[str]:
    """Every import that goes up or sideways, every cycle, every non-numpy package in core."""
    known = set(sources)
    graph: dict[str, set[str]] = {m: set() for m in sources}
    problems = []
    for module, source in sources.items():
        rank, own = layer_of(module)
        for target, line in imports_of(module, source, known):
            if target not in known:
                target = next((k for k in sorted(known, key=len, reverse=True) if target.startswith(k + ".")),
                              target)
            graph[module].add(target)
            t_rank, t_own = layer_of(target)
            if t_own == own or t_rank < rank:
                continue
            problems.append(f"{module} (line {line}) imports {target}: layer '{LAYERS[rank][0]}' may not import "
                            f"from layer '{LAYERS[t_rank][0]}'" + (" (a peer)" if t_rank == rank else " (above it)"))
        if module.startswith("optimizer.core"):
            tree = ast.parse(source)
            for node in ast.walk(tree):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
                for full in names:
                    top = full.split(".")[0]
                    if top and top not in sys.stdlib_module_names and top not in CORE_THIRD_PARTY \
                            and top not in PACKAGES and not _inside_type_checking(tree, node):
                        problems.append(f"{module} (line {node.lineno}) imports {full}: optimizer.core may use "
                                        f"numpy and the standard library only")
    problems += [f"import cycle: {' -> '.join(cycle)}" for cycle in _cycles(graph)]
    return problems


def _inside_type_checking(tree: ast.AST, target: ast.AST) -> bool:
    for node in ast.walk(tree):
        if _type_checking_block(node) and any(child is target for child in ast.walk(node)):
            return True
    return False


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp) + [sorted(comp)[0]])

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_every_import_goes_down_and_there_are_no_cycles():
    problems = violations(module_sources())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module, line, words", [
    ("optimizer.core.problem", "from optimizer.engine.solve import solve",
     "optimizer.core.problem (line 1) imports optimizer.engine.solve: layer 'core' may not import from layer 'engine'"),
    ("optimizer.algorithms.tabu", "from optimizer.solvers import highs",
     "layer 'models' may not import from layer 'solvers'"),
    ("optimizer.domain.compile", "import formulations",
     "optimizer.domain.compile (line 1) imports formulations: layer 'models' may not import from layer 'models' "
     "(a peer)"),
    ("optimizer.core.verify", "import pandas", "optimizer.core may use numpy and the standard library only"),
    ("optimizer.core.errors", "from optimizer.core.verify import violations", "import cycle"),
])
def test_a_deliberate_upward_import_is_named(module, line, words):
    sources = module_sources()
    sources[module] = line + "\n" + sources[module]
    problems = violations(sources)
    assert any(words in p for p in problems), "\n".join(problems)


def test_imports_under_type_checking_and_inside_functions():
    sources = module_sources()
    sources["optimizer.core.result"] += ("\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                         "    from optimizer.engine.solve import solve\n")
    assert violations(sources) == []  # only for type checkers: allowed
    sources["optimizer.core.result"] += "\ndef f():\n    from optimizer.engine import solve\n"
    assert any("optimizer.core.result" in p and "optimizer.engine" in p for p in violations(sources))


def test_importing_the_core_loads_neither_pandas_nor_pyomo_nor_matplotlib():
    code = ("import sys, optimizer.core, optimizer.core.problem, optimizer.core.verify\n"
            "heavy = [m for m in ('pandas', 'pyomo', 'matplotlib', 'networkx', 'highspy') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import optimizer.core loaded {out.stdout.strip()}"


def test_reading_a_qkp_file_does_not_load_the_engine():
    code = ("import sys, instances.qkp\n"
            "heavy = [m for m in ('pandas', 'pyomo', 'matplotlib', 'optimizer.engine.solve') if m in sys.modules]\n"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import instances.qkp loaded {out.stdout.strip()}"


# ------------------------------------------------------------------------------- function size
MAX_LINES, MAX_POSITIONAL, MAX_PARAMETERS = 100, 8, 12


def oversized_functions(sources: dict[str, str]) -> list[str]:
    """'module.function: why' for every function over MAX_LINES lines, MAX_POSITIONAL positional or
    MAX_PARAMETERS parameters in all (self and cls not counted): functions no one can hold in their head."""
    out = []
    for module, source in sources.items():
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            a = node.args
            positional = [p.arg for p in (*a.posonlyargs, *a.args) if p.arg not in ("self", "cls")]
            total = len(positional) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)
            lines = node.end_lineno - node.lineno + 1
            why = [w for w, bad in ((f"{lines} lines", lines > MAX_LINES),
                                    (f"{len(positional)} positional", len(positional) > MAX_POSITIONAL),
                                    (f"{total} parameters", total > MAX_PARAMETERS)) if bad]
            if why:
                out.append(f"{module}.{node.name}: {', '.join(why)}")
    return out


def test_no_function_is_too_long_or_takes_too_many_parameters():
    found = oversized_functions(module_sources())
    assert not found, ("split these into one function per step (see docs/architecture.md): " + "; ".join(found))


def test_the_size_rule_sees_a_long_function_and_many_parameters():
    params = ", ".join(f"p{k}" for k in range(9))
    body = "\n".join(f"    x{k} = {k}" for k in range(101))
    found = oversized_functions({"demo": f"def wide({params}):\n    pass\n\ndef long():\n{body}\n"})
    assert found == ["demo.wide: 9 positional", "demo.long: 102 lines"]
