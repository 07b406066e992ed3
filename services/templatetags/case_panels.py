"""``{% case_panels application %}``: the panels other apps registered for the case page."""

from django import template
from django.utils.safestring import SafeString

from services.case_page import case_panels as registered_panels

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
