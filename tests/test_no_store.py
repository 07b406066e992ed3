"""SECURITY.md G45: every page or file that can show a NIK is sent with Cache-Control no-store,
so neither the browser nor a shared proxy keeps a copy."""

import pytest
from django.urls import reverse

from tests.factories import AdminFactory, issued_letter, log_in, sent_to_rt


@pytest.mark.django_db
def test_g45_pages_and_files_with_personal_data_are_never_stored(
    client, officer, supervisor, rt1, rt_chair
):
    letter = issued_letter(officer=officer, rt=rt1, chair=rt_chair)
    case = letter.application
    attachment = case.attachments.first()
    pending = sent_to_rt(officer=officer, rt=rt1, service="KK")
    staff_urls = [
        reverse("services:application_detail", args=[case.code]),
        reverse("services:application_receipt", args=[case.code]),
        reverse("services:attachment_file", args=[case.code, attachment.uuid]),
        reverse("services:attachment_thumbnail", args=[case.code, attachment.uuid]),
        reverse("services:letter_pdf", args=[case.code, letter.token]),
        reverse("services:queue"),
    ]
    checks = [(officer, url) for url in staff_urls] + [
        (supervisor, reverse("services:access_log")),
        (supervisor, reverse("services:application_access_log", args=[case.code])),
        (rt_chair, reverse("verification:request", args=[pending.uuid])),
        (AdminFactory(), reverse("admin:services_application_change", args=[case.pk])),
        (None, reverse("services:public_status", args=[case.status_token])),
    ]
    for user, url in checks:
        if user is None:
            client.logout()
        else:
            log_in(client, user)
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response.get("Cache-Control", ""), url
