import hashlib
import html
import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from kelurahan.management.commands.seed_demo import DEMO_PASSWORD
from kelurahan.models import RT, RW, Membership, Office, Role
from services.models import Application, ApplicationEvent, ApplicationState, ResidentMessage
from services.public.status import status_link
from services.selectors import current_letter
from services.tasks import render_letter_task
from services.validators import validate_nik

S = ApplicationState


@pytest.mark.django_db
def test_seed_demo_builds_a_kelurahan_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (
        Office.objects.count(),
        RW.objects.count(),
        RT.objects.count(),
        Membership.objects.count(),
    )
    call_command("seed_demo")
    assert counts == (
        Office.objects.count(),
        RW.objects.count(),
        RT.objects.count(),
        Membership.objects.count(),
    )
    assert counts[0] == 2 and counts[1] >= 2 and counts[2] >= 4
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {Role.OFFICER, Role.SUPERVISOR, Role.RT_CHAIR}
    for chair in Membership.objects.filter(role=Role.RT_CHAIR).select_related("rt"):
        assert chair.rt.chair_id == chair.user_id
    request = RequestFactory().post("/masuk/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, username="petugas", password=DEMO_PASSWORD) is not None
    assert get_user_model().objects.get(username="pengelola").is_superuser


@pytest.mark.django_db
def test_seed_demo_adds_complaints_in_different_states_once(settings):
    from services.models import Complaint

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    states = sorted(Complaint.objects.values_list("state", flat=True))
    assert states == ["answered", "closed", "dismissed", "received", "verified"]
    assert all(c.events.exists() for c in Complaint.objects.all())


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


# --- the demo cases (verification/demo.py, through verification's AppConfig.seed_demo) --------
LINE = re.compile(
    r"^\s+(?P<code>BKS-\d{4}-\d{4})\s+(?P<state>.+?)\s+(?P<link>\S+/s/(?P<token>[\w-]+)/)$"
)

# In the order seed_demo makes them: (state, service, delivery, the status page's sentence).
DEMO_CASES = [
    (S.RECEIVED, "KTP", "pickup", "Petugas kelurahan sedang memeriksa berkas Anda."),
    (S.IN_VERIFICATION, "KK", "pickup", "Menunggu pemeriksaan Ketua RT 001/RW 001."),
    (S.INCOMPLETE, "KTP", "pickup", "Berkas belum lengkap. Permohonan menunggu berkas dari Anda."),
    (S.VERIFIED, "NIKAH", "pickup", "Sudah disetujui Ketua RT 002/RW 001."),
    (S.ISSUED, "KTP", "pickup", "Surat sudah jadi dan siap diambil di kantor kelurahan."),
    (S.ISSUED, "SITU", "electronic", "Surat sedang dibuat."),
    (S.COMPLETED, "KK", "courier", "Selesai. Surat sudah dikirim lewat kurir."),
    (S.COMPLETED, "NIKAH", "electronic", "Selesai. Surat sudah diunduh."),
]


def _seed(settings) -> list[dict]:
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return [m.groupdict() for line in out.getvalue().splitlines() if (m := LINE.match(line))]


@pytest.mark.django_db
def test_seed_demo_makes_a_case_in_each_state_with_a_working_status_link(client, settings):
    lines = _seed(settings)

    cases = [Application.objects.get(code=line["code"]) for line in lines]
    assert [(c.state, c.service.code, c.delivery) for c in cases] == [
        (state, service, delivery) for state, service, delivery, _ in DEMO_CASES
    ]
    assert {c.office.code for c in cases} == {"BKS"}
    for case, line, (_, _, _, sentence) in zip(cases, lines, DEMO_CASES, strict=True):
        assert line["link"] == status_link(case)
        assert line["link"].startswith(settings.SITE_URL + "/s/")
        assert line["state"].startswith(case.get_state_display())
        response = client.get(line["link"].removeprefix(settings.SITE_URL))
        assert response.status_code == 200, line
        page = html.unescape(response.content.decode())
        assert case.code in page and sentence in page, (line, sentence)
        assert case.nik not in page
        validate_nik(case.nik)
        # The workflow wrote the resident's messages: one WhatsApp row per step that matters.
        steps = set(
            ResidentMessage.objects.filter(application=case, channel="whatsapp").values_list(
                "step", flat=True
            )
        )
        assert "receive" in steps, case.code
    incomplete = cases[2]
    page = html.unescape(client.get(f"/s/{incomplete.status_token}/").content.decode())
    assert "Pas foto" in page and "Foto buram, nomor KK tidak terbaca." in page
    # Who did what: the demo staff, through the real steps.
    steps = ["receive", "archive", "send_to_rt", "approve", "issue", "hand_over"]
    events = ApplicationEvent.objects.filter(application=cases[7], transition__in=steps)
    assert [e.transition for e in events.order_by("at", "id")] == steps
    assert events.get(transition="approve").by.username == "ketua_rt03"
    assert events.get(transition="receive").by.username == "petugas"


@pytest.mark.django_db
def test_a_second_seed_demo_adds_no_case_and_lists_the_same_links(settings):
    first = _seed(settings)
    counts = (Application.objects.count(), ResidentMessage.objects.count())

    second = _seed(settings)

    assert len(first) == len(DEMO_CASES)
    assert (Application.objects.count(), ResidentMessage.objects.count()) == counts
    assert second == first


@pytest.mark.django_db
def test_the_electronic_demo_case_downloads_its_letter_once_rendered(client, settings):
    lines = _seed(settings)
    line = lines[5]
    case = Application.objects.get(code=line["code"])
    path = line["link"].removeprefix(settings.SITE_URL)
    assert client.get(path + "surat/").status_code == 404  # the cluster has not rendered it yet

    letter = current_letter(case)
    render_letter_task(letter.pk)  # what the job cluster does with the queued job
    letter.refresh_from_db()
    assert "Unduh surat (PDF)" in client.get(path).content.decode()
    response = client.get(path + "surat/")

    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == letter.sha256
    case.refresh_from_db()
    assert case.state == S.COMPLETED and case.downloaded_at is not None


@pytest.mark.django_db
def test_seed_demo_adds_a_camat_a_city_supervisor_and_an_office_of_another_kecamatan(
    client, settings
):
    from kelurahan.access import overseen_offices
    from kelurahan.models import Oversight, OversightRole
    from kelurahan.two_factor import needs_second_factor

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    users = get_user_model().objects
    camat, city = users.get(username="camat"), users.get(username="pengawas_kota")
    assert Oversight.objects.count() == 2
    assert camat.oversight.role == OversightRole.KECAMATAN
    assert camat.oversight.kecamatan.name == "Kalidoni"
    assert city.oversight.role == OversightRole.CITY and city.oversight.city == "Kota Palembang"
    assert [o.code for o in overseen_offices(camat)] == ["BKS"]
    assert sorted(o.code for o in overseen_offices(city)) == ["BKS", "SKB"]
    assert needs_second_factor(camat) and needs_second_factor(city)
    request = RequestFactory().post("/masuk/", REMOTE_ADDR="127.0.0.1")
    assert authenticate(request, username="camat", password=DEMO_PASSWORD) is not None
