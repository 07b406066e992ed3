"""Issue 12: the session store (kelurahan.sessions, SESSION_ENGINE) reads a request's session
with SQL compiled once per connection, and reads it afresh: a session deleted, expired or
changed shows on the next request, as with Django's own database store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kelurahan.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _saved(**data) -> str:
    store = DjangoStore()
    store.update(data)
    store.save()
    return store.session_key


def test_it_is_the_engine():
    assert settings.SESSION_ENGINE == "kelurahan.sessions"


def test_a_session_reads_as_djangos_store_reads_it():
    key = _saved(a=1, text="ä\x1f")
    ours, theirs = SessionStore(key), DjangoStore(key)
    assert dict(ours.items()) == dict(theirs.items()) == {"a": 1, "text": "ä\x1f"}
    assert ours.session_key == key
    assert ours._get_session_from_db().expire_date == theirs._get_session_from_db().expire_date


def test_a_missing_deleted_or_expired_session_is_an_empty_new_one():
    assert dict(SessionStore("x" * 32).items()) == {}
    key = _saved(a=1)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    store = SessionStore(key)
    assert dict(store.items()) == {} and store.session_key is None
    key = _saved(b=2)
    assert SessionStore(key)["b"] == 2
    Session.objects.filter(session_key=key).delete()
    assert dict(SessionStore(key).items()) == {}


def test_a_change_shows_on_the_next_read():
    key = _saved(a=1)
    store = SessionStore(key)
    store["a"] = 2
    store.save()
    assert SessionStore(key)["a"] == 2


def test_the_read_is_compiled_once_and_is_one_query(monkeypatch):
    key = _saved(a=1)
    assert SessionStore(key)["a"] == 1  # the connection's first read compiles it
    calls = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
    )
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(key)["a"] == 1
    assert len(queries) == 1 and calls == []


def test_a_logged_in_page_reads_its_session_through_it(officer_client):
    page = reverse("services:notifications")
    assert officer_client.get(page).status_code == 200
    assert officer_client.session.__class__ is SessionStore
    key = officer_client.session.session_key
    Session.objects.filter(session_key=key).delete()  # logged out elsewhere
    response = officer_client.get(page)
    assert response.status_code == 302 and "/masuk/" in response["Location"]
