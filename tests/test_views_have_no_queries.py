"""Views hold no ORM query of their own: every read is a named function in a selectors module.

The views modules are parsed with ``ast`` (never imported for this) and each of these is
reported with its line:

1. any ``.objects`` attribute (``Letter.objects…``, a model's manager);
2. a call of ``get_object_or_404`` or ``get_list_or_404``;
3. a call of a method that only querysets and managers have (``select_related``,
   ``prefetch_related``, ``filter``, ``exclude``, ``order_by``, ``annotate``, ``aggregate``,
   ``values_list``, ``only``, ``defer``, ``distinct``, ``get_or_create``, ``update_or_create``,
   ``bulk_create``, ``bulk_update``, ``in_bulk``, ``iterator``, ``raw``), on any receiver;
4. a call of a method that querysets share with dicts and lists (``get``, ``all``, ``first``,
   ``last``, ``count``, ``exists``, ``create``, ``update``, ``delete``, ``values``, ``none``,
   ``latest``, ``earliest``) when its receiver is a model class (``Application.…``) or a
   related manager, i.e. an attribute named like a relation of a project model
   (``vr.attestations.all()``, ``application.letters.first()``).

``request.POST.get(…)`` or ``form.errors.values()`` are not queries and are not reported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
VIEW_MODULES = [
    "services/views.py",
    "services/complaint_views.py",
    "services/access_log_views.py",
    "services/chart_views.py",
    "services/oversight/views.py",
    "services/public/complaint_views.py",
    "services/survey_views.py",
    "services/public/views.py",
    "services/public/survey_views.py",
    "services/public/standard_views.py",
    "verification/views.py",
    "kelurahan/views.py",
    "kelurahan/account_views.py",
]

QUERYSET_ONLY = {
    "select_related",
    "prefetch_related",
    "filter",
    "exclude",
    "order_by",
    "annotate",
    "aggregate",
    "values_list",
    "only",
    "defer",
    "distinct",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "in_bulk",
    "iterator",
    "raw",
}
SHARED_WITH_CONTAINERS = {
    "get",
    "all",
    "first",
    "last",
    "count",
    "exists",
    "create",
    "update",
    "delete",
    "values",
    "none",
    "latest",
    "earliest",
}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}


def _project_models():
    return [m for m in apps.get_models() if (ROOT / m._meta.app_label).is_dir()]


def _model_names() -> set[str]:
    return {m.__name__ for m in _project_models()}


def _relation_names() -> set[str]:
    """Names under which a related manager hangs off an instance (``application.letters``)."""
    names = set()
    for model in _project_models():
        for field in model._meta.get_fields(include_hidden=False):
            if not (field.one_to_many or field.many_to_many):
                continue
            name = field.get_accessor_name() if field.auto_created else field.name
            if name:
                names.add(name)
    return names


def _is_query(node: ast.AST, model_names: set[str], relation_names: set[str]) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "objects"
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in SHORTCUTS
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in QUERYSET_ONLY:
        return True
    receiver = func.value
    return func.attr in SHARED_WITH_CONTAINERS and (
        (isinstance(receiver, ast.Name) and receiver.id in model_names)
        or (isinstance(receiver, ast.Attribute) and receiver.attr in relation_names)
    )


def queries_in(source: str, model_names: set[str], relation_names: set[str]) -> list[str]:
    """What of ``source`` is an ORM query, as ``line: code`` strings."""
    return [
        f"{node.lineno}: {ast.get_source_segment(source, node)}"
        for node in ast.walk(ast.parse(source))
        if _is_query(node, model_names, relation_names)
    ]


@pytest.fixture(scope="module")
def names():
    return _model_names(), _relation_names()


@pytest.mark.parametrize("module", VIEW_MODULES)
def test_views_module_runs_no_query_of_its_own(module, names):
    source = (ROOT / module).read_text()
    assert queries_in(source, *names) == [], f"{module}: move these reads into a selectors module"


@pytest.mark.parametrize(
    "code",
    [
        "Letter.objects.filter(token=t).first()",
        "get_object_or_404(Service, code=c)",
        "application.letters.select_related('revoked_by')",
        "vr.attestations.all()",
        "Application.get(code=c)",
        "office.rws.order_by('number')",
    ],
)
def test_the_check_finds_each_kind_of_query(code, names):
    assert queries_in(f"def view(request):\n    return {code}\n", *names)


@pytest.mark.parametrize(
    "code",
    [
        "request.POST.get('state')",
        "form.errors.values()",
        "form.cleaned_data.get('note')",
        "filter(None, rows)",
    ],
)
def test_the_check_leaves_dicts_and_builtins_alone(code, names):
    assert queries_in(f"def view(request):\n    return {code}\n", *names) == []
