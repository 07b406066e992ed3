"""The case page's sections are the blocks of its Jinja2 body (services/application_detail.jinja).

Each renders on its own (``kelurahan.jinja.render_block``) from the page's context, as exactly
what the full page shows in its place: the page, the oversight case page and any later partial
endpoint (htmx) share one definition of each section.
"""

import re

import pytest
from django.urls import reverse

from kelurahan.jinja import render_block

SECTIONS = {
    "head": 'class="page-head"',
    "data": 'id="h-data"',
    "sla": 'id="h-sla"',
    "docs": 'id="h-docs"',
    "letters": 'id="h-letters"',
    "actions": 'id="h-actions"',
    "timeline": 'id="h-timeline"',
}
BODY = "services/application_detail.jinja"
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
    context = response.context[0]  # the body's own context (tests/conftest.py records it)
    request = response.wsgi_request

    def section_of(values):
        return normalised(render_block(request, BODY, name, values))

    section = section_of(context)
    if name == "letters":
        # A received case has no letter yet, so the page has no such section: it shows once
        # the letter can be handed over.
        assert section == "" and 'id="h-letters"' not in page
        section = section_of({**context, "can_hand_over": True})
        assert SECTIONS[name] in section
        return
    assert SECTIONS[name] in section
    assert section in page
