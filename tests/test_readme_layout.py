"""README's "Where things live" matches the tree: every path it names exists, and every package
and module of services (and every app) is named there, so a newcomer's map is never stale."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def layout_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line for line in block.splitlines() if line.strip()]


def named_paths() -> set[str]:
    """The first word of each line, and every `folder/name.py` the line's text names."""
    named = set()
    for line in layout_lines():
        if not line.startswith(" "):
            named.add(line.split()[0].rstrip("/"))
        named.update(p.rstrip("/:,") for p in re.findall(r"\b[\w/]+/[\w.]+\.py\b", line))
    return named


def test_every_path_the_layout_names_exists():
    missing = sorted(p for p in named_paths() if not (ROOT / p).exists())
    assert not missing, f"README names paths that do not exist: {missing}"


def test_every_app_and_every_part_of_services_is_in_the_layout():
    named = named_paths()
    parts = {"kelurahan", "services", "verification", "bench", "templates", "static", "tests"}
    for path in (ROOT / "services").iterdir():
        if path.name.startswith("_") or path.name in {"migrations", "apps.py", "templatetags"}:
            continue
        if path.is_dir() and (path / "__init__.py").exists() or path.suffix == ".py":
            parts.add(f"services/{path.name}")
    unnamed = sorted(
        part
        for part in parts
        if part not in named
        and not any(n.startswith(part + "/") for n in named)
        and not _on_a_views_line(part)
    )
    assert not unnamed, f"README's 'Where things live' does not name: {unnamed}"


def _on_a_views_line(part: str) -> bool:
    """The line `services/views.py …` stands for the app's plumbing modules it lists."""
    plumbing = {"views.py", "forms.py", "urls.py", "admin.py", "context_processors.py"}
    return part.startswith("services/") and part.split("/", 1)[1] in plumbing
