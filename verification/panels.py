"""The RT verification panel on the officer's case page.

Registered with ``services.case_page`` by ``VerificationConfig.ready()``; the services
template renders it through ``{% case_panels %}`` without loading anything of this app.
"""

from django.db.models import Exists, OuterRef
from django_fsm import can_proceed, has_transition_perm

from services.case_page import fast
from services.models import Verdict
from verification.forms import SendToRtForm
from verification.models import VerificationRequest
from verification.selectors import requests_for_application

OFFICER_PANEL = "verification/_officer_panel.html"


def _has_requests():
    return Exists(VerificationRequest.objects.filter(application_id=OuterRef("pk")))


# Read with the case on the case page: most cases there were never sent to their RT, and then
# the panel's requests are not asked for (a query and its compiling saved).
PANEL_COLUMNS = {"page_has_rt_requests": _has_requests}


def officer_panel_context(context, application) -> dict:
    user = context["request"].user
    can_send = can_proceed(application.send_to_rt) and has_transition_perm(
        application.send_to_rt, user
    )
    # django-fsm checks a transition's permission only from its source state, so
    # has_transition_perm(send_to_rt) is always False on a received case: ask for the
    # permission itself (the second step runs right after the archive).
    may_archive_and_send = (
        can_proceed(application.archive)
        and has_transition_perm(application.archive, user)
        and user.has_perm("services.send_to_rt_application")
        and application.rt.chair_id is not None
    )
    # The archive needs every document checked and nothing missing (the page's checklist).
    statuses = context.get("statuses") or []
    attachments = getattr(application, "prefetched_attachments", [])
    documents_ready = all(s.satisfied for s in statuses) and not any(
        a.verdict == Verdict.PENDING for a in attachments
    )
    can_archive_and_send = may_archive_and_send and documents_ready
    return {
        "application": application,
        "requests": requests_for_application(application)
        if getattr(application, "page_has_rt_requests", True)
        else [],
        "can_send": can_send,
        "can_archive_and_send": can_archive_and_send,
        "archive_and_send_later": may_archive_and_send and not documents_ready,
        "form": fast(SendToRtForm())[0] if can_send or can_archive_and_send else None,
    }
