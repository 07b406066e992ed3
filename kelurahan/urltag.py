"""``{% url %}`` with a name and no arguments, reversed once per process (issue 12).

Every staff page's layout names a dozen URLs without arguments (the navigation, the bell, the
account links): twelve ``reverse()`` calls, 0.23 ms on every page on this machine, each
giving the same text as the last time. This library replaces Django's ``{% url %}`` in every
template (``TEMPLATES`` "builtins"): with arguments it is Django's tag unchanged; without, the
URL is looked up in a cache keyed by what ``reverse()`` reads besides the name: the URL
resolver of the request's URLconf (a new object once the URL caches are cleared, e.g. when a
test overrides ``ROOT_URLCONF``), the script prefix (the site mounted under a path), the
active language and the current application namespace. A name that does not reverse raises
``NoReverseMatch`` as before and is not cached.

The Jinja2 bodies' ``url()`` (``kelurahan.jinja``) reads the same cache.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()


@lru_cache(maxsize=1024)
def _reversed(resolver, prefix: str, language, view_name: str, current_app) -> str:
    # The key's resolver, prefix and language are the ones reverse() reads itself.
    return reverse(view_name, current_app=current_app)


def reverse_plain(view_name: str, current_app=None) -> str:
    """``reverse(view_name, current_app=current_app)`` for a name without arguments, cached."""
    return _reversed(
        get_resolver(get_urlconf()), get_script_prefix(), get_language(), view_name, current_app
    )


class PlainURLNode(URLNode):
    def render(self, context):
        if self.args or self.kwargs:
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_plain(view_name, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's ``{% url %}``; without arguments, its result cached (``reverse_plain``)."""
    node = django_url(parser, token)
    return PlainURLNode(node.view_name, node.args, node.kwargs, node.asvar)
