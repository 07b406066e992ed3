"""The shape of the house: no import circle between project modules, and dependencies that run
one way (kelurahan ← services ← verification ← simulation ← bench), templates' ``{% load %}``
included; and nothing imports simulation (``manage.py simulate``, the top floor).

The import graph is read with ``ast`` from the source, so it sees every import whether or not a
test happens to execute it. Function-level imports count like top-level ones: a function-level
import does not remove a dependency, it only postpones it to run time, and it is the usual way
a circle gets hidden (A imports B at the top, B imports A inside a function) rather than cut.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lower layers first: an app may import only from its own layer and the ones before it.
LAYERS = ["kelurahan", "services", "verification", "simulation", "bench"]

# Known edges against the layering, each to be removed with the code that needs it. An entry
# that no longer matches an import fails the test, so the list cannot outlive its reason.
# Imports against the one-way rule that are accepted, each with its reason (none today: bench is
# an app of its own, and kelurahan mounts nothing of it). An entry whose import is gone fails.
ALLOWED_UPWARD: set[tuple[str, str]] = set()

# Which app owns each folder of templates/ (for the {% load %} rule); files directly in
# templates/ (base.html) and the shared includes belong to the ground floor.
TEMPLATE_OWNERS = {
    "kelurahan": "kelurahan",
    "registration": "kelurahan",
    "includes": "kelurahan",
    "services": "services",
    "letters": "services",
    "verification": "verification",
    "simulation": "simulation",
    "bench": "bench",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _target(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an imported dotted name lands in (longest matching prefix)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):  # every scope: module, class and function bodies
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, path, node)
                # `from services import workflow` imports the module services.workflow.
                names = [f"{base}.{alias.name}" for alias in node.names] or [base]
            for name in names:
                target = _target(name, modules)
                if target is not None and target != module:
                    graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One example circle per strongly connected component (Tarjan), as a module path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_example_cycle(graph, set(c)) for c in components]


def _example_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    # Breadth-first from start back to start, staying inside the component.
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return [*paths[v], start]
            if w not in paths:
                paths[w] = [*paths[v], w]
                queue.append(w)
    return sorted(component)


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def upward_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if layer(target) > layer(source)
    }


def test_the_import_graph_sees_top_level_and_function_level_imports():
    graph = import_graph(project_modules())
    assert "services.models" in graph["services.workflow"]  # top level
    assert "verification.panels" in graph["verification.apps"]  # inside ready()
    assert "services.workflow" in graph["services.views"]  # `from services import workflow`


def test_no_import_circle_between_project_modules():
    found = cycles(import_graph(project_modules()))
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_dependencies_run_one_way():
    edges = upward_edges(import_graph(project_modules()))
    wrong = sorted(edges - ALLOWED_UPWARD)
    assert not wrong, (
        "imports against kelurahan ← services ← verification ← simulation ← bench:\n"
        + "\n".join(f"{source} imports {target}" for source, target in wrong)
    )


def test_nothing_imports_the_simulation():
    """simulation drives the workflow from above; no app (bench included) may lean on it."""
    graph = import_graph(project_modules())
    wrong = sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        for target in targets
        if target.split(".")[0] == "simulation" and source.split(".")[0] != "simulation"
    )
    assert not wrong, "\n".join(wrong)
    assert "simulation.engine" in graph["simulation.management.commands.simulate"]


def test_every_allowed_exception_is_still_needed():
    edges = upward_edges(import_graph(project_modules()))
    stale = sorted(ALLOWED_UPWARD - edges)
    assert not stale, f"remove from ALLOWED_UPWARD, the import is gone: {stale}"


LOAD = re.compile(r"{%\s*load\s+(.*?)\s*%}")


def template_libraries() -> dict[str, str]:
    """Each templatetag library of the project -> the app that defines it."""
    return {
        path.stem: app
        for app in LAYERS
        for path in (ROOT / app).glob("templatetags/*.py")
        if path.stem != "__init__"
    }


def loaded_libraries(text: str) -> list[str]:
    libraries = []
    for args in LOAD.findall(text):
        words = args.split()
        # `{% load a b %}` loads libraries a and b; `{% load x y from lib %}` loads lib.
        libraries += words[-1:] if "from" in words else words
    return libraries


def template_load_violations(templates: Path) -> list[str]:
    libraries = template_libraries()
    wrong = []
    for path in sorted(templates.rglob("*.html")):
        relative = path.relative_to(templates)
        folder = relative.parts[0] if len(relative.parts) > 1 else ""
        owner = TEMPLATE_OWNERS.get(folder, "kelurahan")
        for library in loaded_libraries(path.read_text(encoding="utf-8")):
            app = libraries.get(library)
            if app is not None and layer(app) > layer(owner):
                wrong.append(f"templates/{relative} loads {library} ({app})")
    return wrong


def test_the_load_scanner_reads_every_form_of_the_tag():
    assert loaded_libraries("{% load static %}{%load a b%}{% load x y from c %}") == [
        "static",
        "a",
        "b",
        "c",
    ]
    assert template_libraries()["case_panels"] == "services"


def test_templates_load_no_library_of_a_later_app():
    wrong = template_load_violations(ROOT / "templates")
    assert not wrong, "\n".join(wrong)


def test_a_services_template_loading_a_verification_library_is_caught(tmp_path, monkeypatch):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "page.html").write_text("{% load static verification_tags %}")
    (tmp_path / "kelurahan").mkdir()
    (tmp_path / "kelurahan" / "page.html").write_text("{% load case_panels %}")
    (tmp_path / "verification").mkdir()
    (tmp_path / "verification" / "page.html").write_text("{% load case_panels %}")
    known = {**template_libraries(), "verification_tags": "verification"}
    monkeypatch.setattr(f"{__name__}.template_libraries", lambda: known)
    assert template_load_violations(tmp_path) == [
        "templates/kelurahan/page.html loads case_panels (services)",
        "templates/services/page.html loads verification_tags (verification)",
    ]


def test_a_transactional_test_that_would_flush_the_catalogue_stops_the_run():
    """conftest refuses a suite with a transaction=True test lacking serialized_rollback."""
    from tests.conftest import flushing_transactional_tests

    class Item:
        def __init__(self, nodeid, mark=None):
            self.nodeid, self.mark = nodeid, mark

        def get_closest_marker(self, name):
            return self.mark if self.mark and self.mark.name == name else None

    items = [
        Item("flushes", pytest.mark.django_db(transaction=True).mark),
        Item("restores", pytest.mark.django_db(transaction=True, serialized_rollback=True).mark),
        Item("rolls back", pytest.mark.django_db.mark),
        Item("no database"),
    ]
    assert flushing_transactional_tests(items) == ["flushes"]
