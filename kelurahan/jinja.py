"""Jinja2 for the bodies of the hottest staff pages (issue 12).

The officer's queue and the RT chair's list print 50 rows of a dozen values each, on every
visit. Rendered by Django's template language, the queue's body took 4.3 ms (in-process,
100k cases on SQLite), a ``Variable._resolve_lookup`` and a lazy-aware escape for each value;
Jinja2 compiles the same body to Python and printed it, from the same context, in 2.5 ms (of
which 1.5 ms are the filter form's widgets and their two queries, the same under both). Whole
pages, old against new in the same minutes: queue 9.6 -> 8.6 ms, RT list 8.7 -> 8.1 ms on
SQLite; 13.7 -> 12.9 and 13.2 -> 12.6 ms on PostgreSQL. The officer's case page and the
supervisor's dashboard followed (``services/application_detail.jinja``: 0.2-0.3 ms;
``services/dashboard.jinja``: the page's render 0.82 -> 0.62 ms from the same context), and
the notifications list (``services/notifications.jinja``: 100 notes a page).

Only the body moves: the page is still a Django template (``services/queue.html``: its title,
and ``{{ body }}`` in ``base.html``'s content block), so the layout, the navigation, the
context processors and every other page stay in one template language. A body is rendered
with the page's context plus Django's ``request``, ``csrf_input`` and ``csrf_token``; it
autoescapes, and an undefined name is an error, not a blank. A small template the body shares
with Django pages is rendered by Django from the body (``dtl()``), so it has one definition.
"""

from __future__ import annotations

from django.shortcuts import render
from django.template import Context, engines
from django.template.backends import jinja2 as jinja2_backend
from django.template.context_processors import csrf
from django.template.defaultfilters import date as django_date
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment, StrictUndefined, pass_context

from kelurahan.urltag import reverse_plain


def _date(value, fmt: str) -> str:
    """Django's ``{{ value|date:fmt }}``: in local time, with the active language's names."""
    return django_date(template_localtime(value), fmt)


def django_context(context) -> Context:
    """A Django ``Context`` of a Jinja2 body's variables (its ``csrf_token`` included, for
    ``{% csrf_token %}``), for a Django template rendered from the body."""
    return Context(dict(context.get_all()), autoescape=True)


@pass_context
def _dtl(context, template_name: str, **extra):
    """The Django template ``template_name`` rendered with the body's variables (+ ``extra``)."""
    django_ctx = django_context(context)
    django_ctx.update(extra)
    template = engines["django"].get_template(template_name).template
    return mark_safe(template.render(django_ctx))  # noqa: S308 - Django autoescaped it


def environment(**options) -> Environment:
    """The Jinja2 engine of settings.TEMPLATES ("jinja2"): autoescaping, strict about
    undefined names, with ``url(name, *args)`` as Django's ``{% url %}``, Django's ``date``
    filter and ``dtl(template_name)``."""
    options["undefined"] = StrictUndefined
    env = Environment(**options)  # noqa: S701 - Django's backend turns autoescape on
    env.globals["url"] = lambda name, *args: (
        reverse(name, args=args) if args else reverse_plain(name)
    )
    env.globals["dtl"] = _dtl
    env.filters["date"] = _date
    return env


class Template(jinja2_backend.Template):
    """Django's Jinja2 template, its CSRF token read once per render.

    Django's backend gives ``csrf_input`` and ``csrf_token`` as lazy strings that call
    ``get_token()`` again at each use, and each call masks the secret anew (32 random
    characters): 12 forms on the case page were 12 calls, 0.15 ms. Here both are computed at
    their first use and kept, as ``{% csrf_token %}`` reads Django's ``csrf`` context
    processor (a ``SimpleLazyObject``); a body without a form never asks for the token."""

    def render(self, context=None, request=None):
        return super().render(self.variables(context, request))

    def variables(self, context, request) -> dict:
        values = dict(context or {})
        if request is not None:
            token = csrf(request)["csrf_token"]
            values.update(
                request=request,
                csrf_token=token,
                csrf_input=SimpleLazyObject(
                    lambda: format_html(
                        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token
                    )
                ),
            )
            for processor in self.backend.template_context_processors:
                values.update(processor(request))
        return values


class Jinja2(jinja2_backend.Jinja2):
    """Django's Jinja2 backend, its templates ``Template`` above."""

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)

    def from_string(self, template_code):
        return Template(self.env.from_string(template_code), self)


def render_block(request, template_name: str, block: str, context: dict) -> str:
    """One block of a Jinja2 body rendered alone, as the whole body prints it in its place."""
    template = engines["jinja2"].get_template(template_name)
    jinja_template = template.template
    values = template.variables(context, request)
    return mark_safe(  # noqa: S308 - Jinja2 autoescaped it
        "".join(jinja_template.blocks[block](jinja_template.new_context(values)))
    )


def render_with_body(request, template_name: str, context: dict, *, body: str):
    """``render(request, template_name, context)``, ``context["body"]`` being the Jinja2
    template ``body`` rendered with the same context (escaped by Jinja2, so marked safe)."""
    html = engines["jinja2"].get_template(body).render(context, request)
    return render(request, template_name, {**context, "body": mark_safe(html)})  # noqa: S308
