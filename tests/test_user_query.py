"""Issue 12: the user of each request is read in one query, with their membership, their
permissions and the bell's unread count (kelurahan.backends.PortalBackend.get_user), read afresh
on every request: a change between two requests shows on the second."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kelurahan.access import membership_for
from kelurahan.backends import PortalBackend
from services.models import Notification
from services.notifications import unread_count
from tests.factories import UserFactory


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
