"""Panels other apps add to the officer's case page, without ``services`` knowing them.

``services`` may not import ``verification`` (dependencies run one way), yet the case page shows
the RT verification panel. So the page renders whatever panels are registered here, in order,
and ``verification`` registers its own in ``VerificationConfig.ready()``: the panel's markup
and logic stay in the app that owns them.

The registry is filled once at start-up (like ``admin.site``) and never changes afterwards, so
every process of a scaled-out deployment holds the same list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.template import Context

from services.models import Application


@dataclass(frozen=True)
class CasePanel:
    """A template and the function that builds its context from the page's and the case."""

    template: str
    context: Callable[[Context, Application], dict]


_panels: list[CasePanel] = []


def register_case_panel(template: str, context: Callable[[Context, Application], dict]) -> None:
    """Add a panel below the case page's documents; registering the same one twice is a no-op
    (``ready()`` may run more than once, e.g. in tests)."""
    panel = CasePanel(template, context)
    if panel not in _panels:
        _panels.append(panel)


def case_panels() -> tuple[CasePanel, ...]:
    return tuple(_panels)
