"""The house's rules, checked over the repo's own modules: no import cycles, nothing private borrowed.

Every import counts, lazy ones inside functions included: a cycle that only closes at run time
still ties two modules together. A `_name` belongs to its own module; another module that needs
it should get a public, documented name instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

from core.paths import REPO_ROOT

#: Where the repo's Python lives (the virtual environment and caches are not ours).
SOURCE_ROOTS = ("app.py", "pages", "ui", "core", "figures", "teaching", "bench", "tests")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def repo_modules() -> dict[str, Path]:
    paths: list[Path] = []
    for root in SOURCE_ROOTS:
        place = REPO_ROOT / root
        paths += [place] if place.is_file() else sorted(place.rglob("*.py"))
    return {module_name(p): p for p in paths}


def imports_of(tree: ast.AST, here: str, modules: dict[str, Path]) -> list[tuple[str, str | None, ast.AST]]:
    """(module imported, name taken from it or None, node) for every import of a repo module in `tree`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                submodule = f"{node.module}.{a.name}"
                if submodule in modules:
                    found.append((submodule, None, node))
                elif node.module in modules:
                    found.append((node.module, a.name, node))
    return [f for f in found if f[0] != here]


def module_aliases(tree: ast.AST, modules: dict[str, Path]) -> dict[str, str]:
    """Local names bound to a repo module (`from core.explore import embedding`, `import core.levels as lv`)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in modules and a.asname:
                    aliases[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                if f"{node.module}.{a.name}" in modules:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def import_graph() -> tuple[dict[str, set[str]], list[str]]:
    """Each repo module's imported repo modules, and every private name one module takes from another."""
    modules = repo_modules()
    graph: dict[str, set[str]] = {}
    borrowed: list[str] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        found = imports_of(tree, name, modules)
        graph[name] = {m for m, _, _ in found}
        for m, taken, node in found:
            if taken and taken.startswith("_") and not taken.startswith("__"):
                borrowed.append(f"{name}:{node.lineno} imports {m}.{taken}")
        aliases = module_aliases(tree, modules)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and aliases[node.value.id] != name
            ):
                borrowed.append(f"{name}:{node.lineno} uses {aliases[node.value.id]}.{node.attr}")
    return graph, borrowed


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_of_the_repo_imports_itself_through_others():
    graph, _ = import_graph()
    assert cycles(graph) == []


def test_no_module_takes_a_private_name_from_another():
    _, borrowed = import_graph()
    assert borrowed == []


def test_the_checks_see_a_cycle_and_a_borrowed_name_when_there_is_one():
    """The controls: the two checks above can fail."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    modules = {"pkg.one": Path("one.py"), "pkg.two": Path("two.py")}
    tree = ast.parse("from pkg.two import _hidden, shown\n\ndef f():\n    import pkg.one\n")
    found = imports_of(tree, "pkg.three", modules)
    assert [(m, n) for m, n, _ in found] == [("pkg.two", "_hidden"), ("pkg.two", "shown"), ("pkg.one", None)]
