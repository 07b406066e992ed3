"""The officer's case page: the panels other apps add to it, and its forms' widget renderer.

Panels other apps add to the officer's case page, without ``services`` knowing them.

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

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.template.loader import get_template
from django.utils.safestring import SafeData, mark_safe
from jinja2 import pass_context

from kelurahan.jinja import django_context
from services.models import Application


@dataclass(frozen=True)
class CasePanel:
    """A template and the function that builds its context from the page's and the case;
    ``columns``: (name, a function giving an expression over the case's row) pairs the case
    page reads with the case itself (``services.selectors.get_case_for_page``), each set on
    the case as ``application.<name>`` for the panel (e.g. whether it has rows to show)."""

    template: str
    context: Callable[[Context, Application], dict]
    columns: tuple[tuple[str, Callable[[], object]], ...] = ()


_panels: list[CasePanel] = []


def register_case_panel(
    template: str, context: Callable[[Context, Application], dict], *, columns=None
) -> None:
    """Add a panel below the case page's documents; registering the same one twice is a no-op
    (``ready()`` may run more than once, e.g. in tests). ``columns``: {name: expression}."""
    panel = CasePanel(template, context, tuple((columns or {}).items()))
    if panel not in _panels:
        _panels.append(panel)


def case_panels() -> tuple[CasePanel, ...]:
    return tuple(_panels)


# --- the case page's forms, rendered without a template per widget --------------------------
# Django renders every widget through templates: an input is input.html + attrs.html, a select
# of the office's 26 RTs is 54 template renders. On the case page (five action forms, ~20
# fields) that was most of the page's 122 templates and of its render time. FAST_WIDGETS writes
# the same HTML in Python for the widgets these forms use (tests/test_page_budget_case.py holds
# it byte-equal to Django's templates) and hands any other widget to Django's templates.

_WIDGETS = "django/forms/widgets/"
_INPUTS = {
    f"{_WIDGETS}{name}.html"
    for name in (
        *("input", "text", "number", "email", "url", "color", "search", "tel", "password"),
        *("hidden", "date", "datetime", "time", "checkbox", "file"),
    )
}
_AUTOESCAPE = Context(autoescape=True)


def _var(value) -> str:
    """``{{ value }}`` in an autoescaped template."""
    return render_value_in_context(value, _AUTOESCAPE)


def _fmt(value) -> str:
    """``{{ value|stringformat:'s' }}``."""
    text = stringformat(value, "s")
    # stringformat keeps a safe value safe (is_safe=True): then it is not escaped again.
    return text if isinstance(value, SafeData) else _var(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    return "".join(
        f" {_var(name)}" if value is True else f' {_var(name)}="{_fmt(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = f' value="{_fmt(widget["value"])}"' if widget["value"] is not None else ""
    return (
        f'<input type="{_var(widget["type"])}" name="{_var(widget["name"])}"{value}'
        f"{_attrs(widget['attrs'])}>"
    )


def _radio_option(option: dict) -> str:
    """radio_option.html, i.e. input_option.html; each included template ends with its
    file's newline (a top-level render is stripped, an included one is not)."""
    html = _input(option) + "\n"
    if option["wrap_label"]:
        option_id = option["attrs"].get("id")
        label_for = f' for="{_var(option_id)}"' if option_id else ""
        html = f"<label{label_for}>{html} {_var(option['label'])}</label>"
    return html + "\n\n"


class FastWidgets(DjangoTemplates):
    """A form renderer writing the common widgets in Python, the same HTML as Django's."""

    def render(self, template_name, context, request=None):
        html = self._python(template_name, context["widget"]) if "widget" in context else None
        if html is None:
            return super().render(template_name, context, request)
        return html.strip()

    def _python(self, template_name: str, widget: dict) -> str | None:
        if template_name in _INPUTS:
            return _input(widget)
        if template_name == f"{_WIDGETS}textarea.html":
            value = _var(widget["value"]) if widget["value"] else ""
            name, attrs = _var(widget["name"]), _attrs(widget["attrs"])
            return f'<textarea name="{name}"{attrs}>\n{value}</textarea>'
        if template_name == f"{_WIDGETS}clearable_file_input.html" and not widget["is_initial"]:
            return f"\n{_input(widget)}"
        if template_name == f"{_WIDGETS}select.html":
            return self._select(widget)
        if template_name == f"{_WIDGETS}radio.html":
            return self._radio(widget)
        return None

    @staticmethod
    def _options_are(widget: dict, template_name: str) -> bool:
        return all(
            option["template_name"] == template_name
            for _, options, _ in widget["optgroups"]
            for option in options
        )

    def _select(self, widget: dict) -> str | None:
        if not self._options_are(widget, f"{_WIDGETS}select_option.html"):
            return None
        out = [f'<select name="{_var(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group, options, _ in widget["optgroups"]:
            if group:
                out.append(f'\n  <optgroup label="{_var(group)}">')
            out.extend(
                f'\n  <option value="{_fmt(o["value"])}"{_attrs(o["attrs"])}>'
                f"{_var(o['label'])}</option>\n"
                for o in options
            )
            if group:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return "".join(out)

    def _radio(self, widget: dict) -> str | None:
        if not self._options_are(widget, f"{_WIDGETS}radio_option.html"):
            return None
        widget_id, css = widget["attrs"].get("id"), widget["attrs"].get("class")
        out = [
            "<div",
            f' id="{_var(widget_id)}"' if widget_id else "",
            f' class="{_var(css)}"' if css else "",
            ">",
        ]
        for group, options, _ in widget["optgroups"]:
            if group:
                out.append(f"\n  <div><label>{_var(group)}</label>")
            out.extend(f"<div>\n    {_radio_option(o)}</div>" for o in options)
            if group:
                out.append("\n  </div>")
        out.append("\n</div>")
        return "".join(out)


FAST_WIDGETS = FastWidgets()
FIELD_TEMPLATE = "includes/field.html"


def field_html(field, *, hide_optional: bool = False) -> str:
    """templates/includes/field.html (label, widget, help, errors) for one bound field, the
    same bytes, without a template render; a field keeping uploaded files (kept/lost, the
    intake's) goes through the template."""
    if getattr(field.field, "kept", None) or getattr(field.field, "lost", None):
        return get_template(FIELD_TEMPLATE).render({"field": field, "hide_optional": hide_optional})
    errors = list(field.errors)
    if getattr(field.field.widget, "input_type", None) == "radio":
        body = f"\n  <fieldset><legend>{_var(field.label)}</legend>{_var(field)}</fieldset>\n  "
    else:
        optional = (
            ' <span class="muted small">(tidak wajib)</span>'
            if not field.field.required and not hide_optional
            else ""
        )
        body = (
            f'\n  <label for="{_var(field.id_for_label)}">{_var(field.label)}{optional}</label>'
            f"\n  {_var(field)}\n  "
        )
    help_text = f'<p class="help">{_var(field.help_text)}</p>' if field.help_text else ""
    error_html = "".join(f'<p class="field-error">{_var(e)}</p>' for e in errors)
    return mark_safe(  # noqa: S308 - every value above is escaped by _var (or is a widget's HTML)
        f'<div class="field{" has-error" if errors else ""}">\n  {body}\n  \n  \n  '
        f"{help_text}\n  {error_html}\n</div>\n"
    )


def fast(*forms):
    """Give the case page's forms the Python widget renderer (None entries are skipped)."""
    for form in forms:
        if form is not None:
            form.renderer = FAST_WIDGETS
    return forms


# --- the case page's Jinja2 body (services/application_detail.jinja) ------------------------
@pass_context
def jinja_case_panels(context) -> str:
    """``{{ case_panels() }}`` in the Jinja2 body: each registered panel's Django template,
    rendered with the page's variables and the panel's own (as ``{% case_panels %}``)."""
    application = context["application"]
    html = []
    for panel in case_panels():
        panel_context = django_context(context)
        panel_context.update(panel.context(panel_context, application))
        html.append(get_template(panel.template).template.render(panel_context))
    return mark_safe("".join(html))  # noqa: S308 - each panel autoescaped by Django


# What the Jinja2 body calls besides the engine's globals (kelurahan.jinja).
JINJA_HELPERS = {"case_panels": jinja_case_panels, "case_field": field_html}
