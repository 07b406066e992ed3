"""Shared fixtures: two offices, and in the first an officer, a supervisor and two RT chairs."""

import pytest

from kelurahan.models import RT, RW, Office
from tests.factories import (
    PASSWORD,  # noqa: F401 - imported from here by the tests
    SAMPLE_ANSWERS,  # noqa: F401
    ApplicationFactory,
    OfficeFactory,
    OfficerFactory,
    RtChairFactory,
    RTFactory,
    RWFactory,
    SupervisorFactory,
    jpeg_upload,  # noqa: F401
    pdf_upload,  # noqa: F401
    sample_extra,  # noqa: F401
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache (kelurahan.ratelimit): every test starts at zero.
    from django.core.cache import cache

    from services.catalogue import clear_catalogue_cache

    cache.clear()
    clear_catalogue_cache()  # each test's catalogue is rolled back with it
    yield
    cache.clear()
    clear_catalogue_cache()


@pytest.fixture(autouse=True, scope="session")
def _jinja_bodies_are_recorded():
    """Django's test environment records the Django templates a response rendered (the
    pages' template budgets count them); a page's Jinja2 body (kelurahan.jinja) is recorded
    the same way, so it is counted too and its context is in ``response.context``."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    plain = Template.render

    def render(self, context=None, request=None):
        template_rendered.send(sender=self, template=self.template, context=dict(context or {}))
        return plain(self, context, request)

    Template.render = render
    yield
    Template.render = plain


@pytest.fixture(autouse=True)
def _fast_and_sync(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}


@pytest.fixture
def session_clock_stopped(monkeypatch):
    """The session middleware's clock held still, so its once-a-minute renewal (a session
    write) cannot fall between two requests a query-budget test compares: without it such a
    test fails whenever a minute turns between them (more often on a loaded machine)."""
    import time as real_time
    from types import SimpleNamespace

    import kelurahan.middleware

    now = real_time.time()
    monkeypatch.setattr(kelurahan.middleware, "time", SimpleNamespace(time=lambda: now))


@pytest.fixture
def office(db) -> Office:
    return OfficeFactory(code="BKS", name="Bukit Sangkal")


@pytest.fixture
def other_office(db) -> Office:
    return OfficeFactory(code="KBR", name="Kober")


@pytest.fixture
def rw1(office) -> RW:
    return RWFactory(office=office, number=1)


@pytest.fixture
def rt1(rw1) -> RT:
    return RTFactory(rw=rw1, number=1)


@pytest.fixture
def rt2(rw1) -> RT:
    return RTFactory(rw=rw1, number=2)


@pytest.fixture
def other_rt(other_office) -> RT:
    return RTFactory(rw__office=other_office, rw__number=7, number=9)


@pytest.fixture
def officer(office):
    return OfficerFactory(username="petugas", office=office)


@pytest.fixture
def supervisor(office):
    return SupervisorFactory(username="lurah", office=office)


@pytest.fixture
def rt_chair(office, rt1):
    return RtChairFactory(username="ketua_rt01", rt=rt1)


@pytest.fixture
def other_rt_chair(office, rt2):
    return RtChairFactory(username="ketua_rt02", rt=rt2)


@pytest.fixture
def other_officer(other_office, other_rt):
    return OfficerFactory(username="petugas_kbr", office=other_office)


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's ``admin_client``, past the admin's second factor (B15) as well."""
    from tests.factories import log_in

    return log_in(client, admin_user)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def application(officer, rt1):
    return ApplicationFactory(officer=officer, rt=rt1)


def pytest_collection_modifyitems(items):
    # Browser tests last: Playwright's sync API keeps an event loop in the main thread, after
    # which Django's context-local connections no longer carry the serialized test data that
    # transactional tests restore from.
    items.sort(key=lambda item: "/e2e/" in str(item.fspath))
    if flushing := flushing_transactional_tests(items):
        raise pytest.UsageError(
            "transaction=True without serialized_rollback=True: " + ", ".join(flushing)
        )


def flushing_transactional_tests(items) -> list[str]:
    """Transactional tests that would not restore the migrations' data.

    Such a test leaves the database flushed and then refilled by post_migrate (content types,
    permissions) but without the catalogue: every later serialized_rollback test then fails
    at setup on a duplicate content type, and every later transactional test finds no service
    (4 December: 27 errors in CI from one such test)."""
    flushing = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            flushing.append(item.nodeid)
    return flushing


def committed(step, /, **kwargs):
    """Run a workflow step, then the jobs it queued for after commit (as a real commit would).

    Tests run inside a transaction that never commits, so on_commit callbacks need this.
    """
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return step(**kwargs)


def named_url_patterns():
    """(name, full route, pattern) for every named URL of the portal, the admin left out
    (Django's own, with its own CSRF protection and tests)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, namespace="", route=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, ns, route + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                yield namespace + p.name, route + str(p.pattern), p

    return list(walk(get_resolver().url_patterns))
