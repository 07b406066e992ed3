import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT, RW, Membership, Office, Role


@pytest.mark.django_db
def test_seed_demo_builds_a_kelurahan_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        Office.objects.count(),
        RW.objects.count(),
        RT.objects.count(),
        Membership.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Office.objects.count(),
        RW.objects.count(),
        RT.objects.count(),
        Membership.objects.count(),
    )
    assert counts[0] == 1 and counts[1] >= 2 and counts[2] >= 4
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {Role.OFFICER, Role.SUPERVISOR, Role.RT_CHAIR}
    for chair in Membership.objects.filter(role=Role.RT_CHAIR).select_related("rt"):
        assert chair.rt.chair_id == chair.user_id
    request = RequestFactory().post("/masuk/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, username="petugas", password=DEMO_PASSWORD) is not None
    assert get_user_model().objects.get(username="pengelola").is_superuser


@pytest.mark.django_db
def test_seed_demo_adds_complaints_in_different_states_once(settings):
    from services.models import Complaint

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    states = sorted(Complaint.objects.values_list("state", flat=True))
    assert states == ["answered", "closed", "dismissed", "received", "verified"]
    assert all(c.events.exists() for c in Complaint.objects.all())


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
