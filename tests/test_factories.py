"""tests/factories.py: a case "in state X" really went through the steps to X, and it is the
one place the suite builds cases."""

import ast
from pathlib import Path

import pytest

from kelurahan.models import Role
from services.models import ApplicationState, LetterKind
from tests.factories import ApplicationFactory, OfficerFactory, RtChairFactory, case_in
from verification.models import RequestState

S = ApplicationState
CHECKS = ["accept_document"] * 4  # the four KTP requirements, each accepted
THROUGH_THE_RT = ["receive", *CHECKS, "archive", "send_to_rt"]

# The events each state implies, in order (the workflow writes one per step and per check).
EVENTS = {
    S.RECEIVED: ["receive"],
    S.INCOMPLETE: ["receive", "reject_document", "mark_incomplete"],
    S.ARCHIVED: ["receive", *CHECKS, "archive"],
    S.IN_VERIFICATION: THROUGH_THE_RT,
    S.VERIFIED: [*THROUGH_THE_RT, "approve"],
    S.REJECTED: [*THROUGH_THE_RT, "reject"],
    S.ISSUED: [*THROUGH_THE_RT, "approve", "issue"],
    S.COMPLETED: [*THROUGH_THE_RT, "approve", "issue", "hand_over"],
    S.CANCELLED: ["receive", "cancel"],
}
VERDICTS = {
    S.RECEIVED: ["pending"] * 4,
    S.INCOMPLETE: ["rejected", "pending", "pending", "pending"],
    S.CANCELLED: ["pending"] * 4,
}
REQUEST = {
    S.IN_VERIFICATION: RequestState.PENDING,
    S.VERIFIED: RequestState.APPROVED,
    S.REJECTED: RequestState.REJECTED,
    S.ISSUED: RequestState.APPROVED,
    S.COMPLETED: RequestState.APPROVED,
}


def test_every_state_of_the_lifecycle_has_its_expected_facts():
    assert set(EVENTS) == set(S.values)


@pytest.mark.django_db
@pytest.mark.parametrize("state", S.values)
def test_a_case_in_each_state_went_through_the_steps_to_it(state, officer, rt1, rt_chair):
    case = case_in(state, officer=officer, rt=rt1, service="KTP")

    assert case.state == state
    assert list(case.events.order_by("id").values_list("transition", flat=True)) == EVENTS[state]
    assert set(
        case.events.exclude(transition__endswith="_document").values_list("by", flat=True)
    ) <= {
        officer.pk,
        rt_chair.pk,
    }
    verdicts = list(case.attachments.order_by("id").values_list("verdict", flat=True))
    assert verdicts == VERDICTS.get(state, ["accepted"] * 4)
    assert all(a.file and a.sha256 for a in case.attachments.all())
    requests = list(case.verification_requests.values_list("rt", "state", "decided_by"))
    if state in REQUEST:
        decided_by = None if state == S.IN_VERIFICATION else rt_chair.pk
        assert requests == [(rt1.pk, REQUEST[state], decided_by)]
    else:
        assert requests == []
    letters = list(case.letters.filter(kind=LetterKind.OUTPUT))
    if state in (S.ISSUED, S.COMPLETED):
        assert len(letters) == 1 and letters[0].number
        # The PDF job runs only when it must: a letter is handed over once rendered.
        assert letters[0].is_rendered == (state == S.COMPLETED)
    else:
        assert letters == []
    if state == S.COMPLETED:
        assert case.handed_over_to == "Siti Rahmawati"
    assert bool(case.closed_at) == (state in (S.REJECTED, S.COMPLETED, S.CANCELLED))


@pytest.mark.django_db
def test_what_is_left_out_is_made_in_one_office(db):
    case = ApplicationFactory(service="SITU")

    assert case.state == S.RECEIVED and case.service.code == "SITU"
    assert case.extra["nama_usaha"]  # required data fields get sample answers
    assert case.received_by.membership.role == Role.OFFICER
    assert case.rt.rw.office == case.office == case.received_by.membership.office
    chair = RtChairFactory(rt=case.rt)
    assert chair.membership.office == case.office
    case.rt.refresh_from_db()
    assert case.rt.chair == chair


@pytest.mark.django_db
def test_the_seeded_catalogue_is_reused_not_copied(office):
    from services.models import Service

    before = Service.objects.count()
    ApplicationFactory(office=office, service="KK", variant="pindah-datang")
    ApplicationFactory(office=office, service="KK", nik="3271010101900011")
    assert Service.objects.count() == before
    assert OfficerFactory(office=office).has_perm("services.archive_application")


def _transitions(case) -> list[str]:
    return list(case.events.order_by("id").values_list("transition", flat=True))


@pytest.mark.django_db
def test_one_photo_rejected_leaves_the_case_received(officer, rt1):
    case = ApplicationFactory(officer=officer, rt=rt1, one_rejected=True)

    assert case.state == S.RECEIVED
    assert _transitions(case) == ["receive", "reject_document"]
    verdicts = list(case.attachments.order_by("id").values_list("verdict", "verdict_reason"))
    assert verdicts == [("rejected", "foto buram")] + [("pending", "")] * 3


@pytest.mark.django_db
def test_a_case_returned_by_the_rt_is_incomplete_with_the_chairs_reason(officer, rt1, rt_chair):
    case = case_in(S.INCOMPLETE, officer=officer, rt=rt1, returned=True, reason="KK bukan milik")

    assert case.state == S.INCOMPLETE
    assert _transitions(case) == [*THROUGH_THE_RT, "return_to_applicant"]
    assert case.events.get(transition="return_to_applicant").note == "KK bukan milik"
    requests = list(case.verification_requests.values_list("rt", "state", "decided_by"))
    assert requests == [(rt1.pk, RequestState.RETURNED, rt_chair.pk)]
    with pytest.raises(ValueError, match="Only an incomplete case"):
        case_in(S.VERIFIED, officer=officer, rt=rt1, nik="3271010101900011", returned=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "transition"), [(S.CANCELLED, "cancel"), (S.REJECTED, "reject")])
def test_the_reason_is_the_closing_steps_words(state, transition, officer, rt1, rt_chair):
    case = case_in(state, officer=officer, rt=rt1, reason="sudah diurus di kecamatan")

    assert case.events.get(transition=transition).note == "sudah diurus di kecamatan"


@pytest.mark.django_db
def test_a_courier_case_is_handed_over_by_its_courier(officer, rt1, rt_chair):
    case = case_in(
        S.COMPLETED,
        officer=officer,
        rt=rt1,
        delivery="courier",
        delivery_address="Jl. Kenanga Blok C-7",
        courier_name="JNE Palembang",
        courier_receipt="JP1234567890",
    )

    assert _transitions(case) == EVENTS[S.COMPLETED]
    assert (case.delivery, case.delivery_address) == ("courier", "Jl. Kenanga Blok C-7")
    assert (case.courier_name, case.courier_receipt) == ("JNE Palembang", "JP1234567890")
    assert case.handed_over_to == ""


def test_an_electronic_case_is_completed_by_the_residents_download(officer, rt1, rt_chair):
    case = case_in(S.COMPLETED, officer=officer, rt=rt1, service="SITU", delivery="electronic")

    assert _transitions(case)[-1] == "hand_over"
    assert case.events.get(transition="hand_over").by_id is None  # the resident, no account
    assert case.downloaded_at is not None and case.handed_over_to == ""


# --- no test module builds cases its own way ----------------------------------------------------
TESTS = Path(__file__).parent
ALLOWED = {"factories.py", "conftest.py"}
INSERTS = {"create", "bulk_create", "get_or_create", "update_or_create"}
# The calls that make a case, an office or a person; only tests.factories makes them for a
# test's setup.
BUILDERS = {
    "application_receive",
    "complaint_file",
    "create_user",
    "create_superuser",
    ("Complaint", "create"),
    ("Office", "create"),
    ("RW", "create"),
    ("RT", "create"),
    ("Membership", "create"),
    ("SurveyResponse", "create"),
}


def _call_name(call: ast.Call):
    """``f(...)`` -> "f"; ``x.f(...)`` -> "f"; ``M.objects.f(...)`` -> ("M", "f")."""
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        owner = func.value
        if (
            isinstance(owner, ast.Attribute)
            and owner.attr == "objects"
            and isinstance(owner.value, ast.Name)
        ):
            return (owner.value.id, func.attr)
        return func.attr
    return None


def _builds(name) -> bool:
    if isinstance(name, tuple) and name[1] in {"create_user", "create_superuser"}:
        return True
    return name in BUILDERS


def builder_violations(source: str) -> list[str]:
    """Where a test module builds cases (or offices, people) its own way.

    The rule: (1) nowhere in the module a call ``Application(...)`` or
    ``Application.objects.create/bulk_create/get_or_create/update_or_create(...)``;
    (2) no function other than a ``test_*`` function (a helper, a fixture, a nested function)
    calls ``application_receive``, ``create_user``, ``create_superuser`` or
    ``Office/RW/RT/Membership.objects.create`` — a test may call the step it is about, but
    setup goes through ``tests.factories``.
    """
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name == "Application" or (
                isinstance(name, tuple) and name[0] == "Application" and name[1] in INSERTS
            ):
                found.append(f"line {node.lineno}: builds an Application directly")

    def visit(node, in_helper: bool):
        for child in ast.iter_child_nodes(node):
            helper = in_helper
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                name = getattr(child, "name", "<lambda>")
                helper = in_helper or not name.startswith("test_")
            if helper and isinstance(child, ast.Call) and _builds(_call_name(child)):
                found.append(f"line {child.lineno}: a helper calls {_call_name(child)}")
            visit(child, helper)

    visit(tree, False)
    return found


def test_no_test_module_builds_cases_offices_or_people_its_own_way():
    offenders = {
        str(path.relative_to(TESTS)): builder_violations(path.read_text())
        for path in sorted(TESTS.rglob("*.py"))
        if path.name not in ALLOWED
    }
    assert {path: found for path, found in offenders.items() if found} == {}


@pytest.mark.parametrize(
    "source",
    [
        "def test_x(): Application.objects.create(code='A')",
        "def test_x(): Application.objects.bulk_create([Application(code='A')])",
        "def make_case(o): return workflow.application_receive(office=o)",
        "@pytest.fixture\ndef chair(db): return User.objects.create_user('k')",
        "def helper(): RT.objects.create(rw=None, number=1)",
        "def test_x():\n    def inner(): return application_receive()\n    inner()",
    ],
)
def test_the_rule_catches_each_way_of_building(source):
    assert builder_violations(source)


def test_the_rule_lets_a_test_call_the_step_it_is_about():
    assert builder_violations("def test_x(): workflow.application_receive(office=o)") == []
