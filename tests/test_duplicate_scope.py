"""The duplicate-case message (SECURITY.md J62): it names a case only to those who may open it.

An RT chair who types a NIK into the assisted form learns nothing about a case they may not
see: not its code, its RT or its state. The second open case is still refused (the
conditional UniqueConstraint and the check before it keep one open case per NIK and service).
"""

import pytest
from django.urls import reverse

from services import workflow
from services.models import Application, Service
from tests.factories import ApplicationFactory, OfficerFactory, RtChairFactory, jpeg_upload

NIK = "3271016507450001"


def assisted_post(client, rt_chair, nik=NIK):
    client.force_login(rt_chair)
    service = Service.objects.get(code="KTP")
    data = {
        "applicant_name": "Mbah Karsiyem",
        "nik": nik,
        "phone": "0813 1111 2222",
        "address": "Jl. Kenanga 2",
        "delivery": "pickup",
    }
    for requirement in service.requirements.all():
        data[f"berkas_{requirement.pk}"] = [jpeg_upload(f"{requirement.code}.jpg")]
    return client.post(reverse("verification:assisted_create", args=["KTP"]), data)


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["another_rt", "own_rt"])
def test_j62_rt_chair_probing_a_nik_learns_nothing_about_the_open_case(
    client, officer, rt_chair, rt1, rt2, where
):
    existing = ApplicationFactory(
        officer=officer, rt=rt2 if where == "another_rt" else rt1, nik=NIK
    )
    response = assisted_post(client, rt_chair)
    page = response.content.decode()
    assert response.status_code == 200
    assert workflow.DUPLICATE_OUT_OF_SCOPE in page
    assert existing.code not in page
    assert "Sudah ada permohonan terbuka" not in page
    assert "RT 002" not in page
    # Double-submit protection holds: still one open case for this NIK and service.
    assert Application.objects.filter(nik=NIK).count() == 1


@pytest.mark.django_db
def test_j62_the_same_words_whichever_rt_the_other_case_is_in(officer, rt_chair, rt1, rt2):
    messages = []
    for index, rt in enumerate((rt1, rt2)):
        nik = f"32710165074500{index + 2:02d}"
        ApplicationFactory(officer=officer, rt=rt, nik=nik)
        with pytest.raises(workflow.WorkflowError) as refused:
            ApplicationFactory(
                office=officer.membership.office,
                officer=officer,
                by=rt_chair,
                rt=rt1,
                nik=nik,
                channel="assisted",
                assisted_by_user=rt_chair,
            )
        messages.append(str(refused.value))
    assert messages[0] == messages[1] == workflow.DUPLICATE_OUT_OF_SCOPE


@pytest.mark.django_db
def test_j62_an_officer_of_the_office_is_told_the_code_to_continue(officer, rt2):
    existing = ApplicationFactory(officer=officer, rt=rt2, nik=NIK)
    colleague = OfficerFactory(office=officer.membership.office)
    with pytest.raises(workflow.WorkflowError) as refused:
        ApplicationFactory(officer=colleague, rt=rt2, nik=NIK)
    assert existing.code in str(refused.value)
    assert Application.objects.filter(nik=NIK).count() == 1


@pytest.mark.django_db
def test_j62_a_case_of_another_office_is_no_duplicate_and_no_hint(
    client, other_officer, other_rt, rt_chair
):
    ApplicationFactory(officer=other_officer, rt=other_rt, nik=NIK)
    response = assisted_post(client, rt_chair)
    assert response.status_code == 302  # recorded: the other office's case is not in scope
    assert Application.objects.filter(nik=NIK).count() == 2


@pytest.mark.django_db
def test_j62_the_race_past_the_check_is_refused_with_the_same_scoped_words(officer, rt1):
    # Two submits racing past the check meet the UniqueConstraint; that branch builds its
    # message with the same function.
    existing = ApplicationFactory(officer=officer, rt=rt1, nik=NIK)
    rt_chair = RtChairFactory(rt=rt1)
    assert workflow.duplicate_message(existing, rt_chair) == workflow.DUPLICATE_OUT_OF_SCOPE
    assert existing.code in workflow.duplicate_message(existing, officer)
    assert workflow.duplicate_message(None, rt_chair) == workflow.CHANGED_UNDER_YOU
