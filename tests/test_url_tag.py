"""``{% url %}`` without arguments is reversed once per process (kelurahan.urltag), and gives
what ``reverse()`` gives wherever that differs: another script prefix, another URLconf."""

from unittest import mock

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import NoReverseMatch, get_script_prefix, reverse, set_script_prefix

from kelurahan import urltag


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture(autouse=True)
def empty_cache():
    urltag._reversed.cache_clear()
    yield
    urltag._reversed.cache_clear()


def test_a_url_without_arguments_is_reversed_once():
    with mock.patch.object(urltag, "reverse", wraps=reverse) as spy:
        first = render("{% url 'services:queue' %}")
        second = render("{% url 'services:queue' %}|{% url 'services:queue' %}")
    assert first == reverse("services:queue") == "/permohonan/"
    assert second == f"{first}|{first}"
    assert spy.call_count == 1


def test_the_jinja_bodies_url_reads_the_same_cache():
    template = engines["jinja2"].from_string("{{ url('services:queue') }}")
    with mock.patch.object(urltag, "reverse", wraps=reverse) as spy:
        assert render("{% url 'services:queue' %}") == template.render({}) == "/permohonan/"
    assert spy.call_count == 1


def test_another_script_prefix_gets_its_own_url():
    """The portal mounted under a path (SCRIPT_NAME): the URL has that prefix, not the first
    one cached."""
    assert render("{% url 'home' %}") == "/"
    before = get_script_prefix()
    set_script_prefix("/kelurahan/")
    try:
        assert render("{% url 'home' %}") == "/kelurahan/"
    finally:
        set_script_prefix(before)
    assert render("{% url 'home' %}") == "/"


def test_another_urlconf_gets_its_own_url():
    assert render("{% url 'home' %}") == "/"
    with override_settings(ROOT_URLCONF="tests.urlconf_home_elsewhere"):
        assert render("{% url 'home' %}") == "/beranda-lain/"
    assert render("{% url 'home' %}") == "/"


def test_urls_with_arguments_are_djangos():
    source = "{% url 'services:application_detail' code %}"
    assert render(source, code="KK-1") == reverse("services:application_detail", args=["KK-1"])
    assert render(source, code="KK-2") == reverse("services:application_detail", args=["KK-2"])


def test_as_var_and_an_unknown_name_behave_as_djangos():
    assert render("{% url 'services:queue' as u %}[{{ u }}]") == "[/permohonan/]"
    assert render("{% url 'no-such-page' as u %}[{{ u }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")


def test_the_url_is_escaped_like_djangos():
    """A name from a variable; the URL escaped in an autoescaped template, as Django's tag."""
    assert render("{% url name %}", name="services:queue") == "/permohonan/"
    before = get_script_prefix()
    set_script_prefix("/a&b/")
    try:
        assert render("{% url 'home' %}") == "/a&amp;b/"
        assert render("{% autoescape off %}{% url 'home' %}{% endautoescape %}") == "/a&b/"
    finally:
        set_script_prefix(before)
