"""The queue's filter widgets are written in Python (issue 12); they print what Django's own
widget templates print, escaping included."""

import pytest
from django import forms
from django.test.html import parse_html

from services.forms import PlainSearchInput, PlainSelect

CHOICES = [
    ("", "Semua RT"),
    (7, "RT 001/RW 002"),
    ('a"b', "<script>alert('x')</script> & co"),
]


def same_markup(html: str):
    """The document as assertHTMLEqual compares it: attributes in any order, blanks between
    tags ignored (Django's templates put a newline between options)."""
    return parse_html(html)


@pytest.mark.parametrize("value", [None, "", 7, "7", 'a"b', "unknown"])
def test_the_plain_select_prints_what_djangos_select_prints(value):
    attrs = {"id": "id_rt", "class": "x"}
    plain = PlainSelect(choices=CHOICES).render("rt", value, attrs)
    django = forms.Select(choices=CHOICES).render("rt", value, attrs)
    assert same_markup(plain) == same_markup(django)
    assert "<script>" not in plain


@pytest.mark.parametrize("value", [None, "", "0812", '"><script>'])
def test_the_plain_search_input_prints_what_djangos_input_prints(value):
    widget_attrs = {"autocomplete": "off"}
    plain = PlainSearchInput(attrs=widget_attrs).render("q", value, {"id": "id_q"})
    django = forms.SearchInput(attrs=widget_attrs).render("q", value, {"id": "id_q"})
    assert same_markup(plain) == same_markup(django)
