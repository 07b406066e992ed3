"""``{% case_field field %}``: one field of the case page's forms, as includes/field.html writes
it; ``{% case_section name %}``: one section of the case page (its Jinja2 body's block)."""

from django import template

from kelurahan.jinja import render_block
from services.case_page import field_html

register = template.Library()

# The case page's body, whose blocks are its sections.
CASE_BODY = "services/application_detail.jinja"


@register.simple_tag
def case_field(field, hide_optional=False) -> str:
    """``{% include "includes/field.html" with field=… %}`` without a template per field."""
    return field_html(field, hide_optional=hide_optional)


@register.simple_tag(takes_context=True)
def case_section(context, name) -> str:
    """One section of the case page (a block of services/application_detail.jinja), from this
    page's context: ``{% case_section "timeline" %}`` on the oversight case page."""
    return render_block(context.get("request"), CASE_BODY, name, context.flatten())
