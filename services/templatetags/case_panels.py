"""``{% case_panels application %}``: the panels other apps registered for the case page;
``{% case_field field %}``: one field of the case page's forms, as includes/field.html writes it."""

from django import template
from django.utils.safestring import SafeString

from services.case_page import case_panels as registered_panels
from services.case_page import field_html

register = template.Library()


@register.simple_tag(takes_context=True)
def case_panels(context, application) -> str:
    # Rendered as an inclusion tag would be: a child of the page's context (autoescape and
    # localisation carry over) with the page's CSRF token, so panel forms post as before.
    # Each rendered template is a SafeString (autoescaped inside); adding SafeStrings keeps it.
    html = SafeString()
    for panel in registered_panels():
        tpl = context.template.engine.get_template(panel.template)
        panel_context = context.new(panel.context(context, application))
        csrf_token = context.get("csrf_token")
        if csrf_token is not None:
            panel_context["csrf_token"] = csrf_token
        html += tpl.render(panel_context)
    return html


@register.simple_tag
def case_field(field, hide_optional=False) -> str:
    """``{% include "includes/field.html" with field=… %}`` without a template per field."""
    return field_html(field, hide_optional=hide_optional)
