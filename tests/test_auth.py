"""Login, logout, lockout, passwords and session lifetime."""

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


def login(client, username, password, **extra):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.5",
        **extra,
    )


@pytest.mark.django_db
def test_login_page_speaks_indonesian(client):
    page = client.get(reverse("login")).content.decode()
    assert "Nama pengguna" in page and "Kata sandi" in page and "Masuk" in page


@pytest.mark.django_db
def test_officer_logs_in_and_lands_on_the_queue(client, officer):
    response = login(client, "petugas", PASSWORD, follow=True)
    assert response.redirect_chain[-1][0] == reverse("services:queue")
    assert "Antrean permohonan" in response.content.decode()


@pytest.mark.django_db
def test_wrong_password_gets_an_indonesian_message(client, officer):
    response = login(client, "petugas", "salah-sekali")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


@pytest.mark.django_db
def test_session_key_changes_at_login(client, officer):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    login(client, "petugas", PASSWORD)
    assert client.session.session_key != before


@pytest.mark.django_db
def test_login_locks_that_username_only_after_repeated_failures(client, officer, supervisor):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "petugas", "salah-sekali")
    locked = login(client, "petugas", PASSWORD)
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk" in locked.content.decode()
    # A colleague behind the same office address still gets in.
    colleague = Client()
    response = login(colleague, "lurah", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_lockout_lifts_after_the_cool_off(client, officer, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0700")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "petugas", "salah-sekali")
    assert login(client, "petugas", PASSWORD).status_code == 429
    time_machine.shift(settings.AXES_COOLOFF_TIME.total_seconds() + 60)
    assert login(client, "petugas", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_next_pointing_off_site_is_ignored(client, officer):
    response = client.post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "petugas", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_logout_by_get_is_refused_and_post_ends_the_session(client, officer):
    client.force_login(officer)
    assert client.get(reverse("logout")).status_code == 405
    old_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert replay.get(reverse("services:catalogue")).status_code == 302


@pytest.mark.django_db
def test_logout_without_csrf_token_is_refused(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(reverse("logout")).status_code == 403


@pytest.mark.django_db
def test_deactivated_officer_is_logged_out_on_next_request(client, officer):
    client.force_login(officer)
    officer.is_active = False
    officer.save()
    assert client.get(reverse("services:catalogue")).status_code == 302


@pytest.mark.django_db
def test_idle_session_expires_after_thirty_minutes(client, officer, time_machine):
    time_machine.move_to("2026-11-23 09:00 +0700")
    client.force_login(officer)
    assert client.get(reverse("services:catalogue")).status_code == 200
    time_machine.shift(20 * 60)
    assert client.get(reverse("services:catalogue")).status_code == 200  # activity renews it
    time_machine.shift(31 * 60)
    assert client.get(reverse("services:catalogue")).status_code == 302


@pytest.mark.parametrize("password", ["pendek1", "password123", "1234567890123"])
def test_weak_passwords_are_refused(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_long_passphrase_is_accepted():
    validate_password("kopi tubruk di warung bu rt setiap pagi sebelum apel " + "x" * 11)


@pytest.mark.django_db
def test_session_ends_twelve_hours_after_login_however_active(client, officer, time_machine):
    time_machine.move_to("2026-11-23 07:00 +0700")
    client.force_login(officer)
    for _ in range(25):  # active every 29 minutes, so the idle limit never bites
        assert client.get(reverse("services:catalogue")).status_code == 200
        time_machine.shift(29 * 60)
    response = client.get(reverse("services:catalogue"))
    assert response.status_code == 302 and response["Location"].startswith("/masuk/")


@pytest.mark.django_db
def test_b8_behind_a_proxy_two_clients_are_told_apart(officer, supervisor, settings):
    settings.TRUSTED_PROXY_COUNT = 1  # one nginx in front, at 10.0.0.1
    settings.TRUSTED_PROXIES = ["10.0.0.1"]

    def fail(forwarded):
        Client().post(
            reverse("login"),
            {"username": "petugas", "password": "salah-sekali"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail("1.1.1.1, 203.0.113.7")  # the forged left part is ignored
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}
    locked = Client().post(
        reverse("login"),
        {"username": "petugas", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
    )
    assert locked.status_code == 429
    other_client = Client().post(
        reverse("login"),
        {"username": "petugas", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert other_client.status_code == 302


@pytest.mark.django_db
def test_permissions_come_from_the_role_group_in_one_query(officer, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=officer.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("services.archive_application")
        assert user.has_perm("services.cancel_application")
    assert not user.has_perm("services.revoke_letter")
