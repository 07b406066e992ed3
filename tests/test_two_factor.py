"""Two-factor sign-in (SECURITY.md B15): superusers and supervisors give a TOTP code after the
password, on the portal's login and before the admin; a first login enrolls the app."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from tests.factories import AdminFactory, log_in, totp_code, totp_device


def password_login(client, username, next_url=None):
    url = reverse("login") + (f"?next={next_url}" if next_url else "")
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(url, data, REMOTE_ADDR="10.0.0.7", follow=True)


def final_path(response) -> str:
    return (
        response.redirect_chain[-1][0] if response.redirect_chain else response.request["PATH_INFO"]
    )


@pytest.mark.django_db
def test_b15_admin_refuses_a_superuser_who_gave_only_the_password(client):
    admin_user = AdminFactory(username="pengelola")
    totp_device(admin_user)
    client.force_login(admin_user)  # the password, no code

    for url in (reverse("admin:index"), reverse("admin:auth_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("second_factor"))


@pytest.mark.django_db
def test_b15_the_admin_site_itself_refuses_an_unverified_superuser(rf):
    """Behind the middleware, the site checks the second factor too (OTPAdminSite)."""
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = AdminFactory()
    request.user.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    request.user.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


@pytest.mark.django_db
def test_b15_a_superuser_with_the_code_opens_the_admin(client):
    admin_user = AdminFactory(username="pengelola")
    device = totp_device(admin_user)

    page = password_login(client, "pengelola", next_url="/admin/")
    assert final_path(page).startswith(reverse("second_factor"))
    assert "Kode verifikasi" in page.content.decode()
    response = client.post(
        page.redirect_chain[-1][0], {"token": totp_code(device), "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_b15_a_supervisor_without_a_device_enrolls_one_after_the_password(
    client, supervisor, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code, then the right one at once
    page = password_login(client, "lurah")
    assert final_path(page).startswith(reverse("second_factor_setup"))
    html = page.content.decode()
    assert "Aktifkan verifikasi dua langkah" in html
    assert 'src="data:image/svg+xml' in html  # the QR code is drawn here, nothing fetched
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    typed = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html).group(1)
    from base64 import b32encode

    assert typed.replace(" ", "") == b32encode(device.bin_key).decode().rstrip("=")
    # Every page waits for the code.
    queue = client.get(reverse("services:queue"))
    assert queue.status_code == 302 and queue["Location"].startswith(reverse("second_factor_setup"))

    wrong = client.post(reverse("second_factor_setup"), {"token": "000000"})
    assert "Kode salah" in wrong.content.decode()
    assert client.get(reverse("services:queue")).status_code == 302

    right = client.post(reverse("second_factor_setup"), {"token": totp_code(device, steps_ahead=0)})
    assert right.status_code == 302
    assert client.get(reverse("services:queue")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    # The same key on a reload; once confirmed the enrollment page enrolls nothing more.
    again = client.get(reverse("second_factor_setup"))
    assert again.status_code == 302 and again["Location"].startswith(reverse("second_factor"))
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1


@pytest.mark.django_db
def test_b15_a_stolen_password_cannot_enroll_a_second_device(client, supervisor):
    totp_device(supervisor)
    password_login(client, "lurah")

    response = client.get(reverse("second_factor_setup"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second_factor"))
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1
    forged = client.post(reverse("second_factor_setup"), {"token": "123456"})
    assert forged.status_code == 302
    assert client.get(reverse("services:queue")).status_code == 302


@pytest.mark.django_db
def test_b15_the_code_page_keeps_next_and_changes_the_session_key(client, supervisor):
    device = totp_device(supervisor)
    page = password_login(client, "lurah", next_url=reverse("services:dashboard"))
    before = client.session.session_key

    response = client.post(
        page.redirect_chain[-1][0],
        {"token": totp_code(device), "next": reverse("services:dashboard")},
    )
    assert response["Location"] == reverse("services:dashboard")
    assert client.session.session_key != before
    evil = Client()
    password_login(evil, "lurah")
    other = evil.post(
        reverse("second_factor"),
        {"token": totp_code(device, steps_ahead=1), "next": "//evil.example/"},
    )
    assert other["Location"] == reverse("home")


@pytest.mark.django_db
def test_b15_a_code_is_accepted_once(client, supervisor):
    device = totp_device(supervisor)
    code = totp_code(device)
    password_login(client, "lurah")
    assert client.post(reverse("second_factor"), {"token": code}).status_code == 302

    thief = Client()
    password_login(thief, "lurah")
    replay = thief.post(reverse("second_factor"), {"token": code})
    assert replay.status_code == 200 and "Kode salah" in replay.content.decode()
    assert thief.get(reverse("services:queue")).status_code == 302


@pytest.mark.django_db
def test_b15_wrong_codes_are_throttled(client, supervisor):
    device = totp_device(supervisor)
    password_login(client, "lurah")
    for _ in range(3):
        client.post(reverse("second_factor"), {"token": "000000"})

    refused = client.post(reverse("second_factor"), {"token": totp_code(device)})
    assert "Terlalu banyak kode salah" in refused.content.decode()
    assert client.get(reverse("services:queue")).status_code == 302


@pytest.mark.django_db
def test_b15_a_badly_typed_code_gets_an_indonesian_message(client, supervisor):
    totp_device(supervisor)
    password_login(client, "lurah")
    page = client.post(reverse("second_factor"), {"token": "12ab"}).content.decode()
    assert "Kode terdiri dari 6 angka" in page


@pytest.mark.django_db
def test_b15_officers_and_rt_chairs_are_not_asked_for_a_code(client, officer, rt_chair):
    page = password_login(client, "petugas")
    assert final_path(page) == reverse("services:queue")
    assert client.get(reverse("second_factor")).status_code == 404
    assert client.get(reverse("second_factor_setup")).status_code == 404
    chair = Client()
    assert final_path(password_login(chair, "ketua_rt01")) == reverse("verification:rt_home")


@pytest.mark.django_db
def test_b15_an_unverified_supervisor_can_still_log_out(client, supervisor):
    password_login(client, "lurah")
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


@pytest.mark.django_db
def test_b15_the_admins_reset_lets_a_user_with_a_lost_phone_enroll_again(client, supervisor):
    totp_device(supervisor)
    log_in(client, AdminFactory(username="pengelola"))
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [supervisor.pk]},
        follow=True,
    )
    assert "diatur ulang" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=supervisor).exists()

    fresh = Client()
    page = password_login(fresh, "lurah")
    assert final_path(page).startswith(reverse("second_factor_setup"))


@pytest.mark.django_db
def test_b15_log_in_builder_gives_a_verified_session(client, supervisor):
    log_in(client, supervisor)
    assert client.get(reverse("services:queue")).status_code == 200


@pytest.mark.django_db
def test_b15_the_admin_login_sends_to_the_portal_login_and_back(client):
    admin_user = AdminFactory(username="pengelola")
    device = totp_device(admin_user)

    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login") + "?next=/admin/"
    page = password_login(client, "pengelola", next_url="/admin/")
    assert final_path(page) == reverse("second_factor") + "?next=/admin/"
    client.post(reverse("second_factor"), {"token": totp_code(device), "next": "/admin/"})
    assert client.get(reverse("admin:login") + "?next=/admin/").url == "/admin/"


@pytest.mark.django_db
def test_b15_wrong_and_right_codes_are_logged_by_user_id_without_the_code(
    client, supervisor, caplog
):
    device = totp_device(supervisor)
    password_login(client, "lurah")
    with caplog.at_level("INFO", logger="kelurahan.two_factor"):
        client.post(reverse("second_factor"), {"token": "000000"})
    lines = [r.getMessage() for r in caplog.records if r.name == "kelurahan.two_factor"]
    assert lines == [f"second factor: wrong code for user id {supervisor.pk}"]
    assert device.pk  # the device's key and the typed code appear in no line


@pytest.mark.django_db
def test_b15_the_sessions_device_must_be_the_users_own_and_confirmed(
    client, supervisor, office, monkeypatch
):
    """The session's device is read by a prepared read (kelurahan.two_factor): another
    user's device, an unconfirmed one, a deleted one or a malformed id in the session is no
    second factor (the code page again); the user's own confirmed device is, and its query
    is compiled once, not on every request."""
    from django.db.models.sql.compiler import SQLCompiler
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.factories import SupervisorFactory

    other = SupervisorFactory(office=office)
    theirs = totp_device(other)
    log_in(client, supervisor)
    dashboard = reverse("services:dashboard")
    assert client.get(dashboard).status_code == 200
    mine = TOTPDevice.objects.get(user=supervisor)
    calls = []
    as_sql = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler,
        "as_sql",
        lambda self, *a, **k: calls.append(self.query.model) or as_sql(self, *a, **k),
    )
    assert client.get(dashboard).status_code == 200
    assert TOTPDevice not in calls

    def with_device(persistent_id):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = persistent_id
        session.save()
        return client.get(dashboard)

    unconfirmed = totp_device(supervisor)
    TOTPDevice.objects.filter(pk=unconfirmed.pk).update(confirmed=False)
    gone = f"otp_totp.totpdevice/{2**31 - 2}"
    for persistent_id in (
        theirs.persistent_id,
        unconfirmed.persistent_id,
        gone,
        "otp_totp.totpdevice/x",
        "otp_totp.totpdevice/99999999999",
    ):
        response = with_device(persistent_id)
        assert response.status_code == 302, persistent_id
        assert response["Location"].startswith(reverse("second_factor")), persistent_id
    assert with_device(mine.persistent_id).status_code == 200
