import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from kelurahan.access import office_for, rt_for
from kelurahan.models import Membership, Role
from tests.factories import RtChairFactory, UserFactory


@pytest.mark.django_db
def test_role_groups_exist_with_their_permissions():
    perms = {
        g.name: {p.codename for p in g.permissions.all()}
        for g in Group.objects.prefetch_related("permissions")
    }
    assert {"officer", "supervisor", "rt_chair"} <= set(perms)
    assert "view_service" in perms["rt_chair"]
    assert "view_office" in perms["officer"]
    assert "view_office" not in perms["rt_chair"]


@pytest.mark.django_db
def test_membership_puts_the_user_in_its_role_group(officer):
    assert list(officer.groups.values_list("name", flat=True)) == ["officer"]
    membership = officer.membership
    membership.role = Role.SUPERVISOR
    membership.save()
    assert list(officer.groups.values_list("name", flat=True)) == ["supervisor"]


@pytest.mark.django_db
def test_rt_chair_membership_sets_the_rt_chair(office, rt1, rt2):
    chair = RtChairFactory(username="ketua", rt=rt1)
    rt1.refresh_from_db()
    assert rt1.chair == chair
    assert office_for(chair) == office and rt_for(chair) == rt1
    chair.membership.rt = rt2
    chair.membership.save()
    rt1.refresh_from_db()
    rt2.refresh_from_db()
    assert rt1.chair is None and rt2.chair == chair


@pytest.mark.django_db
def test_rt_chair_needs_an_rt_of_their_own_office(office, other_rt, django_user_model):
    user = UserFactory(username="x")
    with pytest.raises(ValidationError):
        Membership(user=user, office=office, role=Role.RT_CHAIR).full_clean()
    with pytest.raises(ValidationError):
        Membership(user=user, office=office, role=Role.RT_CHAIR, rt=other_rt).full_clean()
    with pytest.raises(ValidationError):
        Membership(user=user, office=office, role=Role.OFFICER, rt=other_rt).full_clean()


@pytest.mark.django_db
def test_database_refuses_an_rt_chair_without_rt(office, django_user_model):
    user = UserFactory(username="x")
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, office=office, role=Role.RT_CHAIR)
