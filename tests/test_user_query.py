"""Issue 12: the user of each request is read in one query, with their membership, their
permissions and the bell's unread count (kelurahan.backends.PortalBackend.get_user), read afresh
on every request: a change between two requests shows on the second."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kelurahan.access import membership_for, overseen_offices, oversight_for, portal_role
from kelurahan.backends import PortalBackend
from kelurahan.models import Oversight
from services.models import Notification
from services.notifications import unread_count
from tests.factories import (
    KecamatanFactory,
    OfficeFactory,
    UserFactory,
    camat_of,
    city_supervisor_of,
)


def _fresh(user):
    """The user as the next request reads them."""
    return PortalBackend().get_user(user.pk)


def _notes(user, n, *, read=False):
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            key=f"k{read}{i}",
            kind="info",
            message=f"pesan {i}",
            read_at=timezone.now() if read else None,
        )
        for i in range(n)
    )


@pytest.mark.django_db
def test_the_user_comes_with_membership_permissions_and_unread_count_in_one_query(officer):
    _notes(officer, 3)
    _notes(officer, 2, read=True)
    with CaptureQueriesContext(connection) as queries:
        user = _fresh(officer)
        membership = membership_for(user)
        office, rt = membership.office, membership.rt
        perms = user.get_all_permissions()
        checks = user.has_perm("services.check_attachment"), user.has_perm("auth.delete_user")
        count = unread_count(user)
    assert len(queries) == 1
    assert (membership.role, office, rt) == ("officer", officer.membership.office, None)
    assert perms == ModelBackend().get_all_permissions(type(officer).objects.get(pk=officer.pk))
    assert perms and checks == (True, False)
    assert count == 3


@pytest.mark.django_db
def test_a_change_between_two_requests_shows_on_the_second(officer):
    assert _fresh(officer).has_perm("services.check_attachment")
    group = Group.objects.get(name="officer")
    permission = Permission.objects.get(codename="check_attachment")
    group.permissions.remove(permission)
    assert not _fresh(officer).has_perm("services.check_attachment")
    officer.user_permissions.add(permission)  # the user's own, beside the group's
    assert _fresh(officer).has_perm("services.check_attachment")
    _notes(officer, 1)
    assert unread_count(_fresh(officer)) == 1
    officer.membership.delete()
    assert membership_for(_fresh(officer)) is None


@pytest.mark.django_db
def test_a_user_without_membership_or_permissions_costs_one_query(db):
    user = UserFactory(username="tanpa_kantor")
    with CaptureQueriesContext(connection) as queries:
        fresh = _fresh(user)
        assert membership_for(fresh) is None
        assert fresh.get_all_permissions() == set()
        assert unread_count(fresh) == 0
    assert len(queries) == 1


@pytest.mark.django_db
def test_the_bell_shows_the_unread_count_without_a_query_of_its_own(officer_client, officer):
    _notes(officer, 4)
    _notes(officer, 1, read=True)
    with CaptureQueriesContext(connection) as queries:
        response = officer_client.get(reverse("services:notifications"))
    assert response.status_code == 200
    assert 'aria-label="Notifikasi: 4 belum dibaca"' in response.content.decode()
    sql = [q["sql"] for q in queries.captured_queries]
    count = 'SELECT COUNT(*) AS "__count" FROM "services_notification"'
    assert not [s for s in sql if s.startswith(count)]
    assert not [s for s in sql if s.startswith('SELECT "kelurahan_membership"')]
    assert not [s for s in sql if 'FROM "auth_permission"' in s.split("(SELECT")[0]]


def _as_sql_calls(monkeypatch) -> list:
    """Every SQLCompiler.as_sql call from now on (any query Django compiles)."""
    from django.db.models.sql.compiler import SQLCompiler

    calls = []
    original = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


@pytest.mark.django_db
def test_the_users_query_is_compiled_once_not_on_every_request(officer, monkeypatch):
    _fresh(officer)  # the process's first request compiles it (or an earlier test did)
    calls = _as_sql_calls(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        user = _fresh(officer)
        assert membership_for(user).office == officer.membership.office
        assert user.has_perm("services.check_attachment") and unread_count(user) == 0
    assert len(queries) == 1
    assert calls == []


@pytest.mark.django_db
def test_a_request_through_the_middleware_compiles_no_query_for_the_user(
    officer_client, officer, monkeypatch
):
    page = reverse("services:notifications")
    assert officer_client.get(page).status_code == 200
    calls = _as_sql_calls(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        assert officer_client.get(page).status_code == 200
    users = [q["sql"] for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(users) == 1  # the request's user was read...
    assert type(officer) not in calls  # ...by a query compiled before it


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["camat", "city"])
def test_the_oversight_row_comes_with_the_user_in_the_same_query(role, sako_user_factory):
    oversight = sako_user_factory(role)
    with CaptureQueriesContext(connection) as queries:
        user = _fresh(oversight.user)
        row = oversight_for(user)
        assert membership_for(user) is None
        assert portal_role(user) == oversight.role
        assert (row.pk, row.role, row.city) == (oversight.pk, oversight.role, oversight.city)
        kecamatan = row.kecamatan  # the camat's, joined in; None for the city supervisor
    assert len(queries) == 1
    assert kecamatan == oversight.kecamatan
    plain = type(user).objects.get(pk=user.pk)  # as oversight_for reads it by itself
    assert list(overseen_offices(user)) == list(overseen_offices(plain))


@pytest.fixture
def sako_user_factory(db):
    def make(role):
        sako = KecamatanFactory(name="Sako", city="Kota Palembang")
        OfficeFactory(code="SKO", name="Sako Baru", kecamatan_ref=sako)
        user = camat_of(sako) if role == "camat" else city_supervisor_of("Kota Palembang")
        return Oversight.objects.select_related("user", "kecamatan").get(user=user)

    return make


@pytest.mark.django_db
def test_a_member_has_no_oversight_row_and_asks_no_query_for_it(officer):
    with CaptureQueriesContext(connection) as queries:
        user = _fresh(officer)
        assert oversight_for(user) is None and portal_role(user) == "officer"
    assert len(queries) == 1


@pytest.mark.django_db
def test_oversight_given_or_taken_away_shows_on_the_next_request(sako_user_factory):
    oversight = sako_user_factory("camat")
    user = oversight.user
    assert oversight_for(_fresh(user)).role == oversight.role
    oversight.delete()
    assert oversight_for(_fresh(user)) is None


@pytest.mark.django_db
def test_inactive_deleted_and_unknown_users_are_no_user(officer):
    assert _fresh(officer) is not None
    assert PortalBackend().get_user(10**30) is None  # beyond any pk: no user, no error
    assert PortalBackend().get_user(str(officer.pk)) == officer  # the session stores text
    officer.is_active = False
    officer.save()
    assert _fresh(officer) is None
    pk = officer.pk
    officer.delete()
    assert PortalBackend().get_user(pk) is None


@pytest.mark.django_db
def test_a_superuser_has_every_permission_as_before(admin_user):
    fresh = _fresh(admin_user)
    assert fresh.is_superuser and not hasattr(fresh, "_perm_cache")
    assert fresh.get_all_permissions() == ModelBackend().get_all_permissions(admin_user)
    assert fresh.has_perm("auth.delete_user")


@pytest.mark.django_db
def test_a_field_of_the_user_reads_as_the_orm_reads_it(officer):
    """The row goes through the backend's converters (SQLite's dates come as text)."""
    type(officer).objects.filter(pk=officer.pk).update(last_login=timezone.now())
    expected = type(officer).objects.get(pk=officer.pk)
    fresh = _fresh(officer)
    assert fresh.last_login == expected.last_login and fresh.last_login.tzinfo is not None
    assert fresh.date_joined == expected.date_joined
    assert fresh._state.db == expected._state.db and not fresh._state.adding


@pytest.mark.django_db
def test_own_and_every_groups_permissions_are_read_as_djangos_backend_reads_them(officer):
    second = Group.objects.create(name="kedua")
    second.permissions.add(Permission.objects.get(codename="delete_user"))
    officer.groups.add(second)
    officer.user_permissions.add(Permission.objects.get(codename="change_group"))
    django_reads = ModelBackend().get_all_permissions(type(officer).objects.get(pk=officer.pk))
    assert {"auth.delete_user", "auth.change_group", "services.check_attachment"} <= django_reads
    assert _fresh(officer).get_all_permissions() == django_reads


@pytest.mark.django_db
def test_the_users_query_finds_every_row_by_the_users_id_not_by_scanning(officer):
    """The permissions are found from the user's own rows (their permissions, their groups'
    ones): no table is scanned, so the query costs the same with a city's staff in it (reading
    ``Permission`` by ``Q(user=…) | Q(group__user=…)`` scanned the permissions and every
    member of their groups: 4.7 ms a request at 1M cases on SQLite)."""
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; the plan on PostgreSQL depends on its stats")
    from kelurahan.backends import _user_query

    compiled = _user_query.compiled(connections["default"])
    params = list(compiled.params)
    params[compiled.slots["pk"]] = officer.pk
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + compiled.sql, params)
        plan = [row[-1] for row in cursor.fetchall()]
    scans = [step for step in plan if step.startswith("SCAN") and "kecamatan" not in step]
    assert scans == [], plan
    assert any("auth_user_groups" in step and "(user_id=?)" in step for step in plan), plan
