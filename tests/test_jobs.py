"""services.jobs: the names jobs are queued and scheduled by all reach a task."""

import importlib

from django_q.models import Schedule

from kelurahan.closed_days import RECOMPUTE_TASK
from services import jobs


def test_every_job_name_is_a_function_of_services_tasks():
    for name in jobs.ALL:
        module, _, func = name.rpartition(".")
        assert module == "services.tasks"
        assert callable(getattr(importlib.import_module(module), func)), name


def test_the_admin_queues_the_recompute_by_the_same_name():
    # kelurahan may not import services, so it spells the name out; it must stay the same.
    assert RECOMPUTE_TASK == jobs.RECOMPUTE_DEADLINES


def test_the_scheduled_jobs_are_known_names(db):
    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert funcs == {
        jobs.SLA_SWEEP,
        jobs.MORNING_DIGEST,
        jobs.SEND_DUE_RESIDENT_MESSAGES,
        jobs.PDP_RETENTION,
        jobs.PDP_BREACH_SWEEP,
        jobs.PURGE_PENDING_UPLOADS,
        jobs.RECONCILE_RENDERS,
    }
