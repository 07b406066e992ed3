"""Every FSM transition of an application x every state, through the workflow functions.

The transitions come from django-fsm-2's own metadata on ``Application.state``, so a new
transition joins the matrix by itself (and fails it until it has a workflow step and a line in
the lifecycle below, which the FSM declarations must equal). From each source the step must go
through, to its target, with exactly one event; from every other state it must be refused with
``WorkflowError`` because of the state, leaving the case, its RT request and its history as
they were.

On PostgreSQL the captured queries of every step must lock the case row (``FOR UPDATE``)
before writing it: the deterministic form of the race tests, which catch a missing lock only
in some runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_fsm import ANY_OTHER_STATE, ANY_STATE

from services import complaints, workflow
from services.documents.cleaning import clean_upload
from services.letters.numbering import new_output_letter
from services.letters.render import render_letter
from services.models import (
    OPEN_STATES,
    Application,
    ApplicationEvent,
    ApplicationState,
    Complaint,
    ComplaintState,
)
from services.workflow import WorkflowError
from tests.conftest import jpeg_upload
from tests.factories import ApplicationFactory, SupervisorFactory, complaint_in
from verification import workflow as rt_workflow
from verification.models import RequestState, VerificationRequest

S = ApplicationState

# The lifecycle the portal promises (DESIGN.md, the Application docstring): which step may
# run from which states, and where it leads. The FSM declarations must say exactly this.
LIFECYCLE: dict[str, tuple[set[str], str]] = {
    "archive": ({S.RECEIVED}, S.ARCHIVED),
    "mark_incomplete": ({S.RECEIVED}, S.INCOMPLETE),
    "resubmit": ({S.INCOMPLETE}, S.RECEIVED),
    "send_to_rt": ({S.ARCHIVED}, S.IN_VERIFICATION),
    "approve": ({S.IN_VERIFICATION}, S.VERIFIED),
    "reject": ({S.IN_VERIFICATION}, S.REJECTED),
    "return_to_applicant": ({S.IN_VERIFICATION}, S.INCOMPLETE),
    "issue": ({S.VERIFIED}, S.ISSUED),
    "hand_over": ({S.ISSUED}, S.COMPLETED),
    # A supervisor takes back an RT rejection (a new RT request follows).
    "reopen": ({S.REJECTED}, S.ARCHIVED),
    # Open and not yet issued: an issued letter is revoked, never cancelled away.
    "cancel": ({s for s in OPEN_STATES if s != S.ISSUED}, S.CANCELLED),
}


def declared_transitions() -> dict[str, tuple[set[str], str]]:
    """name -> (source states, target) as django-fsm-2 has them for Application.state."""
    field = Application._meta.get_field("state")
    table: dict[str, tuple[set[str], str]] = {}
    for transition in field.get_all_transitions(Application):
        sources, target = table.setdefault(transition.name, (set(), transition.target))
        assert transition.target == target, f"{transition.name}: one target per transition"
        if transition.source == ANY_STATE:
            sources.update(S.values)
        elif transition.source == ANY_OTHER_STATE:
            sources.update(s for s in S.values if s != target)
        else:
            sources.add(transition.source)
    return table


DECLARED = declared_transitions()


# --- one workflow step per transition -----------------------------------------------------------
@dataclass
class Case:
    application: Application
    officer: object
    chair: object
    request: VerificationRequest | None = None
    supervisor: object | None = None


@dataclass(frozen=True)
class Step:
    run: Callable[[Case], object]
    # Meets what the step needs besides the state (documents checked, a letter, a request),
    # so that from a wrong state the state alone is what refuses it.
    prepare: Callable[[Case], None] = lambda case: None
    rt_decision: bool = False
    by_supervisor: bool = False


def accept_all(case: Case) -> None:
    for attachment in case.application.attachments.all():
        workflow.attachment_accept(attachment=attachment, by=case.officer)


def reject_one(case: Case) -> None:
    attachment = case.application.attachments.first()
    workflow.attachment_reject(attachment=attachment, by=case.officer, reason="foto buram")


def rendered_letter(case: Case) -> None:
    with transaction.atomic():
        letter = new_output_letter(case.application, case.officer)
    render_letter(letter.pk)


STEPS: dict[str, Step] = {
    "archive": Step(
        lambda c: workflow.application_archive(application=c.application, by=c.officer),
        prepare=accept_all,
    ),
    "mark_incomplete": Step(
        lambda c: workflow.application_mark_incomplete(application=c.application, by=c.officer),
        prepare=reject_one,
    ),
    "resubmit": Step(
        lambda c: workflow.application_resubmit(application=c.application, by=c.officer)
    ),
    "cancel": Step(
        lambda c: workflow.application_cancel(
            application=c.application, by=c.officer, reason="pemohon membatalkan"
        )
    ),
    "send_to_rt": Step(
        lambda c: rt_workflow.application_send_to_rt(application=c.application, by=c.officer)
    ),
    "approve": Step(
        lambda c: rt_workflow.verification_approve(request=c.request, by=c.chair),
        rt_decision=True,
    ),
    "reject": Step(
        lambda c: rt_workflow.verification_reject(
            request=c.request, by=c.chair, note="bukan warga RT ini"
        ),
        rt_decision=True,
    ),
    "return_to_applicant": Step(
        lambda c: rt_workflow.verification_return(
            request=c.request, by=c.chair, note="KK bukan milik pemohon"
        ),
        rt_decision=True,
    ),
    "issue": Step(lambda c: workflow.application_issue(application=c.application, by=c.officer)),
    "hand_over": Step(
        lambda c: workflow.application_hand_over(
            application=c.application, by=c.officer, method="pickup", received_by="Siti"
        ),
        prepare=rendered_letter,
    ),
    "reopen": Step(
        lambda c: workflow.application_reopen(
            application=c.application, by=c.supervisor, reason="pemohon sudah pindah RT"
        ),
        by_supervisor=True,
    ),
}


def acting_user(case: Case):
    if case.request is not None:
        return case.chair
    return case.supervisor or case.officer


def case_in(state: str, transition: str, officer, rt, chair) -> Case:
    """A case in ``state`` with everything ``transition`` needs except the right state."""
    case = Case(ApplicationFactory(officer=officer, rt=rt), officer, chair)
    step = STEPS[transition]
    step.prepare(case)  # documents are checked while the case is still `received`
    if step.by_supervisor:
        case.supervisor = SupervisorFactory(
            username="lurah_matriks", office=officer.membership.office
        )
    # Tests only: the FSM field is protected, so put the case in any state through the queryset.
    Application.objects.filter(pk=case.application.pk).update(state=state)
    case.application.refresh_from_db()
    if step.rt_decision:
        # A pending request for the case, as send_to_rt leaves it (or one left from before).
        case.request = VerificationRequest.objects.create(
            application=case.application, rt=rt, created_by=officer
        )
    return case


# The transitions as the FSM declares them (a new one is in the matrix at once), each checked
# against the promised lifecycle: a widened source fails its cell, not only the table test.
MATRIX = [(name, state) for name in sorted(DECLARED) for state in S.values]


# --- the tests ----------------------------------------------------------------------------------
def test_the_fsm_declares_exactly_the_promised_lifecycle():
    assert DECLARED == LIFECYCLE


def test_every_fsm_transition_has_a_workflow_step_in_the_matrix():
    assert set(DECLARED) == set(STEPS), "add the new transition to STEPS and LIFECYCLE"


@pytest.mark.django_db
@pytest.mark.parametrize(("transition", "state"), MATRIX)
def test_each_transition_runs_from_its_declared_sources_only(
    transition, state, officer, rt1, rt_chair
):
    if transition not in LIFECYCLE or transition not in STEPS:
        pytest.fail(f"{transition}: add it to LIFECYCLE and STEPS")
    sources, target = LIFECYCLE[transition]
    case = case_in(state, transition, officer, rt1, rt_chair)
    application = case.application
    events = list(application.events.values_list("id", flat=True))

    if state in sources:
        STEPS[transition].run(case)
        application.refresh_from_db()
        assert application.state == target
        new = ApplicationEvent.objects.filter(application=application).exclude(id__in=events)
        assert [(e.transition, e.source, e.target, e.by_id) for e in new] == [
            (transition, state, target, acting_user(case).pk)
        ]
        return

    with pytest.raises(WorkflowError) as excinfo:
        STEPS[transition].run(case)
    # Refused because of the state, not for some other reason the setup left open.
    label = S(state).label
    assert f"karena statusnya sekarang “{label}”" in excinfo.value.message
    application.refresh_from_db()
    assert application.state == state
    assert list(application.events.values_list("id", flat=True)) == events
    if case.request is not None:
        case.request.refresh_from_db()
        assert (case.request.state, case.request.decided_by) == (RequestState.PENDING, None)
    if transition == "send_to_rt":
        assert not VerificationRequest.objects.filter(application=application).exists()
    if transition == "issue":
        assert not application.letters.exists()


# --- FOR UPDATE: the case row is locked before it is written (PostgreSQL) --------------------
needs_row_locks = pytest.mark.skipif(
    not connection.features.has_select_for_update,
    reason="SQLite has no SELECT ... FOR UPDATE (IMMEDIATE transactions serialise writers)",
)
CASE_TABLE = '"services_application"'


def locks_the_case(sql: str) -> bool:
    if not sql.startswith("SELECT") or f"FROM {CASE_TABLE}" not in sql:
        return False
    match = re.search(r"FOR (?:NO KEY )?UPDATE( OF (?P<of>.*))?$", sql)
    return bool(match) and (match.group("of") is None or CASE_TABLE in match.group("of"))


def assert_locked_before(queries: list[str], write: re.Pattern) -> None:
    writes = [i for i, sql in enumerate(queries) if write.match(sql)]
    locks = [i for i, sql in enumerate(queries) if locks_the_case(sql)]
    assert writes, f"no write matching {write.pattern} captured"
    assert locks, "no SELECT ... FOR UPDATE of the case row:\n" + "\n".join(queries)
    assert locks[0] < writes[0], "the case row was written before it was locked"


@needs_row_locks
@pytest.mark.django_db
@pytest.mark.parametrize("transition", sorted(DECLARED))
def test_each_transition_locks_the_case_row_before_saving_it(transition, officer, rt1, rt_chair):
    source = sorted(DECLARED[transition][0])[0]
    case = case_in(source, transition, officer, rt1, rt_chair)
    with CaptureQueriesContext(connection) as captured:
        STEPS[transition].run(case)
    assert_locked_before(
        [q["sql"] for q in captured.captured_queries], re.compile(f"UPDATE {CASE_TABLE}")
    )


@needs_row_locks
@pytest.mark.django_db
@pytest.mark.parametrize("step", ["attachment_add", "attachment_accept", "attachment_reject"])
def test_each_document_step_locks_the_case_row_before_writing(step, officer, rt1):
    application = ApplicationFactory(officer=officer, rt=rt1)
    attachment = application.attachments.first()
    run = {
        "attachment_add": lambda: workflow.attachment_add(
            application=application,
            requirement=attachment.requirement,
            files=[clean_upload(jpeg_upload())],
            by=officer,
        ),
        "attachment_accept": lambda: workflow.attachment_accept(attachment=attachment, by=officer),
        "attachment_reject": lambda: workflow.attachment_reject(
            attachment=attachment, by=officer, reason="buram"
        ),
    }[step]
    with CaptureQueriesContext(connection) as captured:
        run()
    assert_locked_before(
        [q["sql"] for q in captured.captured_queries],
        re.compile(r'(INSERT INTO|UPDATE) "services_(attachment|applicationevent)"'),
    )


# --- the resident's download: the hand_over transition, taken by nobody ---------------------------
def electronic_case_in(state: str, officer, rt) -> tuple[Application, object]:
    """A SITU case with electronic delivery and a rendered letter, put in ``state``."""
    application = ApplicationFactory(officer=officer, rt=rt, service="SITU", delivery="electronic")
    with transaction.atomic():
        letter = new_output_letter(application, officer)
    render_letter(letter.pk)
    letter.refresh_from_db()
    Application.objects.filter(pk=application.pk).update(state=state)  # tests only, as above
    application.refresh_from_db()
    return application, letter


@pytest.mark.django_db
@pytest.mark.parametrize("state", S.values)
def test_the_residents_download_completes_an_issued_case_only(state, officer, rt1):
    application, letter = electronic_case_in(state, officer, rt1)
    events = list(application.events.values_list("id", flat=True))

    if state == S.ISSUED:
        assert workflow.application_download_by_resident(application=application, letter=letter)
        application.refresh_from_db()
        assert application.state == LIFECYCLE["hand_over"][1]
        new = ApplicationEvent.objects.filter(application=application).exclude(id__in=events)
        assert [(e.transition, e.source, e.target, e.by_id) for e in new] == [
            ("hand_over", S.ISSUED, S.COMPLETED, None)
        ]
        return
    if state == S.COMPLETED:  # downloaded before: the file again, nothing written
        assert not workflow.application_download_by_resident(application=application, letter=letter)
    else:
        with pytest.raises(WorkflowError) as excinfo:
            workflow.application_download_by_resident(application=application, letter=letter)
        assert f"karena statusnya sekarang “{S(state).label}”" in excinfo.value.message
    application.refresh_from_db()
    assert application.state == state and application.downloaded_at is None
    assert list(application.events.values_list("id", flat=True)) == events


@needs_row_locks
@pytest.mark.django_db
def test_the_residents_download_locks_the_case_row_before_saving_it(officer, rt1):
    application, letter = electronic_case_in(S.ISSUED, officer, rt1)
    with CaptureQueriesContext(connection) as captured:
        workflow.application_download_by_resident(application=application, letter=letter)
    assert_locked_before(
        [q["sql"] for q in captured.captured_queries], re.compile(f"UPDATE {CASE_TABLE}")
    )


# --- complaints (services.complaints) ---------------------------------------------------------
COMPLAINT_LIFECYCLE: dict[str, tuple[set[str], str]] = {
    "verify": ({"received"}, "verified"),
    "dismiss": ({"received", "verified"}, "dismissed"),
    "respond": ({"verified"}, "answered"),
    "close": ({"answered"}, "closed"),
}
COMPLAINT_STEPS = {
    "verify": lambda c, by: complaints.complaint_verify(complaint=c, by=by),
    "dismiss": lambda c, by: complaints.complaint_dismiss(complaint=c, by=by, reason="spam"),
    "respond": lambda c, by: complaints.complaint_answer(complaint=c, by=by, answer="Jawab."),
    "close": lambda c, by: complaints.complaint_close(complaint=c, by=by),
}
# The event each transition writes (the FSM method is ``respond``: ``answer`` is the field).
COMPLAINT_EVENT = {"verify": "verify", "dismiss": "dismiss", "respond": "answer", "close": "close"}


def test_the_complaint_fsm_declares_exactly_the_promised_lifecycle():
    field = Complaint._meta.get_field("state")
    table: dict[str, tuple[set[str], str]] = {}
    for transition in field.get_all_transitions(Complaint):
        sources, _ = table.setdefault(transition.name, (set(), transition.target))
        sources.add(transition.source)
    assert table == COMPLAINT_LIFECYCLE


@pytest.mark.django_db
@pytest.mark.parametrize("state", ComplaintState.values)
@pytest.mark.parametrize("transition", sorted(COMPLAINT_LIFECYCLE))
def test_each_complaint_step_from_each_state(transition, state, officer):
    complaint = complaint_in(state, by=officer, office=officer.membership.office)
    before = list(complaint.events.values_list("id", flat=True))
    sources, target = COMPLAINT_LIFECYCLE[transition]
    if state in sources:
        COMPLAINT_STEPS[transition](complaint, officer)
        complaint.refresh_from_db()
        assert complaint.state == target
        new = complaint.events.exclude(id__in=before)
        assert [(e.transition, e.source, e.target) for e in new] == [
            (COMPLAINT_EVENT[transition], state, target)
        ]
    else:
        with pytest.raises(WorkflowError, match="karena statusnya sekarang"):
            COMPLAINT_STEPS[transition](complaint, officer)
        complaint.refresh_from_db()
        assert complaint.state == state
        assert list(complaint.events.values_list("id", flat=True)) == before
