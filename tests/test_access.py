"""Who sees what: login everywhere, offices apart, RT chairs kept to their pages."""

import pytest
from django.urls import reverse

from kelurahan.models import RT
from tests.factories import RWFactory, UserFactory

STAFF_PAGES = ["home", "services:catalogue", "territory", "admin:index"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_anonymous_request_to_a_staff_page_goes_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(("/masuk/", "/admin/login/"))


@pytest.mark.django_db
def test_health_check_is_public(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_territory_lists_the_office_rw_and_rt_with_their_chairs(client, officer, rt_chair, rt2):
    client.force_login(officer)
    page = client.get(reverse("territory")).content.decode()
    assert "RW 001" in page
    assert "RT 001" in page and "RT 002" in page
    assert "Ketua_Rt01" in page  # the chair's name
    assert "Belum ada ketua" in page  # RT 002 has none


@pytest.mark.django_db
def test_user_of_another_office_sees_none_of_this_office_rt_or_rw(
    client, other_officer, rt_chair, rt2
):
    RWFactory(office=rt_chair.membership.office, number=5)
    client.force_login(other_officer)
    for name in ["home", "services:catalogue", "territory"]:
        response = client.get(reverse(name), follow=True)
        page = response.content.decode()
        assert "Bukit Sangkal" not in page
        assert "RW 005" not in page and "RW 001" not in page
        assert "Ketua_Rt01" not in page
    # Their own territory is shown.
    assert "RT 009" in client.get(reverse("territory")).content.decode()


@pytest.mark.django_db
def test_rt_chair_cannot_open_the_officer_territory_page(client, rt_chair):
    client.force_login(rt_chair)
    assert client.get(reverse("territory")).status_code == 404


@pytest.mark.django_db
def test_navigation_follows_the_role(client, officer, rt_chair):
    client.force_login(officer)
    assert "Wilayah RT/RW" in client.get(reverse("services:catalogue")).content.decode()
    client.force_login(rt_chair)
    assert "Wilayah RT/RW" not in client.get(reverse("services:catalogue")).content.decode()


@pytest.mark.django_db
def test_staff_pages_are_not_stored_by_the_browser(officer_client):
    response = officer_client.get(reverse("services:catalogue"))
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_territory_query_count_is_constant(client, officer, rw1, django_assert_max_num_queries):
    for number in range(1, 30):
        RT.objects.get_or_create(rw=rw1, number=number)
    client.force_login(officer)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("territory"))
    assert "RT 029" in response.content.decode()


def _all_get_urls():
    """Every named URL of the portal, with made-up arguments (enough to reach the view)."""
    import uuid

    from tests.conftest import named_url_patterns

    samples = {
        "token": "tidak-ada",
        "status_token": "tidak-ada",
        "code": "BKS-2611-0001",
        "service_code": "KTP",
        "variant_code": "pindah-datang",
        "uuid": uuid.uuid4(),
        "attachment_uuid": uuid.uuid4(),
        "complaint_code": "ADU-BKS-2611-0001",
        "office_code": "BKS",
        "chart": "ikm",
    }
    urls = []
    for name, _, pattern in named_url_patterns():
        kwargs = {k: samples[k] for k in pattern.pattern.converters}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), _all_get_urls())
def test_every_page_except_login_and_health_sends_the_anonymous_to_login(client, name, url):
    response = client.get(url)
    if name in {"login", "health"}:
        assert response.status_code == 200
    elif name == "services:letter_verify":  # public: anyone may check a letter
        assert response.status_code == 404 and "tidak dikenal" in response.content.decode()
    elif name in {"services:public_status", "services:public_letter", "services:public_survey"}:
        # Public, behind an unguessable link (the letter: for electronic delivery only).
        assert response.status_code == 404
    elif name == "services:public_standard_index":  # public: the published standard
        assert response.status_code == 200
    elif name in {"services:public_standard", "services:public_standard_print"}:
        assert response.status_code == 404  # public, but no office exists in this test
    elif name in {"services:public_lookup", "services:complaint_form"}:
        # public: the lookup (code + last 4 phone digits), the complaint form (no login)
        assert response.status_code == 200
    elif name in {"services:complaint_status", "services:complaint_public_list"}:
        assert response.status_code == 404  # unknown token; the office shows no public list
    else:
        assert response.status_code in {302, 405}, (name, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/masuk/")


@pytest.mark.django_db
def test_queue_and_intake_form_list_only_the_office_own_rts(client, other_officer, rt1, rt2):
    client.force_login(other_officer)
    for url in (reverse("services:queue"), reverse("services:application_create", args=["KTP"])):
        page = client.get(url).content.decode()
        assert "RT 009/RW 007" in page
        assert "RT 001/RW 001" not in page and "RT 002/RW 001" not in page


@pytest.mark.django_db
def test_an_rt_has_at_most_one_chair(office, rt1, rt_chair, django_user_model):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError

    from kelurahan.models import Membership

    user = UserFactory(username="ketua_kedua")
    second = Membership(user=user, office=office, role="rt_chair", rt=rt1)
    with pytest.raises(ValidationError, match="sudah punya Ketua RT"):
        second.full_clean()
    with pytest.raises(IntegrityError):
        second.save()
