"""Staff change their own password; their other sessions end (SECURITY.md B14)."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.factories import log_in

NEW = "kopi tubruk di warung bu rt setiap pagi"


@pytest.mark.django_db
def test_the_menu_links_to_the_password_change(officer_client):
    page = officer_client.get(reverse("services:queue")).content.decode()
    assert f'href="{reverse("password_change")}"' in page and "Ganti kata sandi" in page


@pytest.mark.django_db
def test_an_officer_changes_the_password_and_the_other_browser_is_logged_out(officer):
    browser_a, browser_b = Client(), Client()
    browser_a.force_login(officer)
    browser_b.force_login(officer)

    form = browser_a.get(reverse("password_change")).content.decode()
    assert "Kata sandi lama" in form and "Ulangi kata sandi baru" in form
    response = browser_a.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Kata sandi baru Anda sudah berlaku" in response.content.decode()
    assert get_user_model().objects.get(pk=officer.pk).check_password(NEW)
    # This browser stays in; the other one is sent to the login.
    assert browser_a.get(reverse("services:queue")).status_code == 200
    stale = browser_b.get(reverse("services:queue"))
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new1", "new2", "message"),
    [
        ("salah-sekali", NEW, NEW, "Kata sandi lama salah"),
        (PASSWORD, NEW, NEW + "x", "Kedua kata sandi baru tidak sama"),
        (PASSWORD, "pendek1", "pendek1", "terlalu pendek"),
    ],
)
def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(
    officer_client, officer, old, new1, new2, message
):
    response = officer_client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert get_user_model().objects.get(pk=officer.pk).check_password(PASSWORD)


@pytest.mark.django_db
def test_a_supervisor_changes_the_password_after_the_second_factor(client, supervisor):
    client.force_login(supervisor)  # password only
    assert client.get(reverse("password_change")).status_code == 302
    log_in(client, supervisor)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    # Still verified: the session's device survives the password change.
    assert client.get(reverse("services:queue")).status_code == 200


def test_the_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
