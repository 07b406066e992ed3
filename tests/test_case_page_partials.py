"""The case page's sections are named partials (django-template-partials) of its template.

Each renders on its own (``services/application_detail.html#docs``) from the page's context,
as exactly what the full page shows in its place: the page and any later partial endpoint
(htmx) share one definition of each section.
"""

import re

import pytest
from django.template.loader import get_template
from django.urls import reverse

SECTIONS = {
    "head": 'class="page-head"',
    "data": 'id="h-data"',
    "sla": 'id="h-sla"',
    "docs": 'id="h-docs"',
    "letters": 'id="h-letters"',
    "actions": 'id="h-actions"',
    "timeline": 'id="h-timeline"',
}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def normalised(html: str) -> str:
    return "\n".join(line.strip() for line in CSRF.sub("csrf", html).splitlines() if line.strip())


@pytest.mark.django_db
@pytest.mark.parametrize("name", SECTIONS)
def test_each_section_of_the_case_page_is_a_partial_rendered_as_on_the_page(
    officer_client, application, name
):
    response = officer_client.get(reverse("services:application_detail", args=[application.code]))
    page = normalised(response.content.decode())
    context = response.context[0].flatten()  # the page template's own context
    partial = get_template(f"services/application_detail.html#{name}")
    section = normalised(partial.render(context))
    if name == "letters":
        # A received case has no letter yet, so the page has no such section: it shows once
        # the letter can be handed over.
        assert section == "" and 'id="h-letters"' not in page
        section = normalised(partial.render({**context, "can_hand_over": True}))
        assert SECTIONS[name] in section
        return
    assert SECTIONS[name] in section
    assert section in page
