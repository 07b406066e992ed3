"""/healthz: the job backlog and the documents without a PDF, 200 or 503, numbers only, cheap."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ
from django_q.tasks import async_task

from services.jobs import SLA_SWEEP
from services.models import ApplicationState, DocumentRender
from tests.factories import case_in, failed_jobs


def health(client):
    response = client.get(reverse("health"))
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response


@pytest.mark.django_db
def test_healthy_portal_answers_200_with_its_numbers(client):
    response = health(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["jobs"] == {
        "queued": 0,
        "oldest_queued_seconds": 0,
        "failed_last_hour": 0,
        "ok": True,
    }
    assert body["checks"]["documents"] == {"unrendered": 0, "ok": True}


@pytest.mark.django_db
def test_a_growing_and_ageing_backlog_answers_503(client, settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    for _ in range(3):
        async_task(SLA_SWEEP)  # through the real ORM broker, nobody taking them
    assert health(client).json()["checks"]["jobs"]["queued"] == 3
    OrmQ.objects.update(lock=timezone.now() - timedelta(minutes=20))  # a stopped cluster
    response = health(client)
    assert response.status_code == 503
    jobs = response.json()["checks"]["jobs"]
    assert jobs["ok"] is False and jobs["oldest_queued_seconds"] >= 20 * 60

    OrmQ.objects.update(lock=timezone.now())
    settings.HEALTH_MAX_QUEUED = 2
    assert health(client).status_code == 503


@pytest.mark.django_db
def test_failed_tasks_of_the_last_hour_count(client, settings):
    failed_jobs(3)
    failed_jobs(50, at=timezone.now() - timedelta(hours=2))  # older: not counted
    body = health(client).json()
    assert body["checks"]["jobs"]["failed_last_hour"] == 3 and body["status"] == "ok"
    settings.HEALTH_MAX_FAILED_PER_HOUR = 2
    assert health(client).status_code == 503


@pytest.mark.django_db
def test_j61_documents_without_a_pdf_count_and_no_personal_data_shows(
    client, settings, officer, rt1
):
    case = case_in(ApplicationState.ISSUED, officer=officer, rt=rt1)  # letter + bundle lost
    assert health(client).json()["checks"]["documents"]["unrendered"] == 0  # not late yet
    DocumentRender.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    settings.HEALTH_MAX_UNRENDERED = 1
    response = health(client)
    assert response.status_code == 503
    assert response.json()["checks"]["documents"] == {"unrendered": 2, "ok": False}
    text = response.content.decode()
    for private in (case.code, case.nik, case.applicant_name, case.phone):
        assert private not in text


@pytest.mark.django_db
def test_health_costs_the_same_few_queries_whatever_the_backlog(
    client, settings, officer, rt1, django_assert_max_num_queries
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    case_in(ApplicationState.ISSUED, officer=officer, rt=rt1)
    for _ in range(30):
        async_task(SLA_SWEEP)
    failed_jobs(30)
    DocumentRender.objects.update(requested_at=timezone.now() - timedelta(hours=1))
    with django_assert_max_num_queries(3):
        assert health(client).status_code == 503


@pytest.mark.django_db
def test_the_liveness_probe_answers_without_a_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"), {"live": "1"})
    assert response.status_code == 200 and response.content == b"ok"
