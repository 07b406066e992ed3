"""Test data for every test: offices with their RW/RT, staff in each role, cases in each state.

    office = OfficeFactory(code="BKS", name="Bukit Sangkal")
    rt = RTFactory(rw__office=office)                  # the next free RT number in a new RW
    officer = OfficerFactory(office=office)            # also SupervisorFactory, AdminFactory
    office = OfficeFactory(kecamatan_ref=KecamatanFactory(name="Sako"))  # another kecamatan
    camat = camat_of(office.kecamatan_ref)             # city_supervisor_of("Kota Palembang")
    log_in(client, supervisor)                         # force_login + the second factor passed
    chair = RtChairFactory(rt=rt)                      # the RT's Ketua RT (office follows the RT)
    case = ApplicationFactory(officer=officer, rt=rt, service="KTP")          # received
    case = case_in(ApplicationState.VERIFIED, officer=officer, rt=rt, chair=chair)
    case = case_in(ApplicationState.INCOMPLETE, returned=True, reason="KK buram")  # by the RT
    case = case_in(ApplicationState.COMPLETED, delivery="courier", delivery_address="Jl. X",
                   courier_name="JNE", courier_receipt="JN123")  # handed over by courier
    case = case_in(ApplicationState.COMPLETED, service="SITU", delivery="electronic")
                                                       # downloaded from the status link
    request = sent_to_rt(officer=officer, rt=rt, rt_note="cek KK")  # the pending RT request
    letter = issued_letter(officer=officer, rt=rt, service="SITU")  # issued, PDF rendered
    received_in_bulk(1000, officer=officer, rt=rt, due=...)  # volume tests only
    case = timed_case(officer=officer, rt=rt, steps={"receive": t0, "archive": t1,
                      "approve": t2, "issue": t3})    # each step at its moment (the charts)
    cases_in_bulk(1000, officer=officer, rts=[rt], start=...)  # volume tests of the charts
    complaint = complaint_filed(office=office, contact_phone="")   # anonymous, received
    complaint = complaint_in("answered", by=officer, application=case)  # about a case

A case is never put in a state by hand (``received_in_bulk`` aside): ``ApplicationFactory``
records it with the intake step (``application_receive``, one pending photo per requirement
of its service and variant) and ``case_in`` then runs the real workflow steps to the state
asked for, so it carries what those steps leave behind: events, checked attachments, the RT
request, the numbered letter. The services are the four the data migrations seed
(``service="KK"``), never copies of them.

Speed: the photos are made in memory and cleaned once per name; jobs queued for after commit
(the letter's PDF, the archive bundle) do not run inside a test's transaction, so nothing is
rendered unless ``jobs=True`` is passed, or the state needs it (``completed``: a letter is
handed over only once its PDF exists). In transactional tests (live server, races) every
commit is real, so the jobs run as they would in the office.
"""

from __future__ import annotations

import functools
import io

import factory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from factory.django import DjangoModelFactory

from kelurahan.models import RT, RW, Kecamatan, Membership, Office, Oversight, OversightRole, Role
from services.models import Application, ApplicationState, Service, ServiceVariant
from services.selectors import current_letter

PASSWORD = "Sandi-Uji-Yang-Panjang-1"
NIK = "3271014501900002"  # a valid NIK (a woman born 5 January 1990)

S = ApplicationState
User = get_user_model()


# --- files ------------------------------------------------------------------------------------
def jpeg_upload(name: str = "ktp.jpg", size=(800, 600), color=(200, 180, 160)):
    """A small valid JPEG, as a browser would upload it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf_upload(name: str = "surat.pdf"):
    """A one-page blank PDF, as a browser would upload it."""
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def pdf_bytes(pages: int = 1, edit=None, **save_params) -> bytes:
    """A blank PDF of ``pages`` A4 pages; ``edit(document)`` changes it before saving."""
    import pikepdf

    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page(page_size=(595, 842))
    if edit:
        edit(document)
    out = io.BytesIO()
    document.save(out, **save_params)
    return out.getvalue()


def _js_action(document):
    import pikepdf

    return document.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )


def _link(action) -> object:
    import pikepdf

    return pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 99, 99], A=action
    )


def _hostile_edits():
    """Each kind of hostile PDF the intake must disarm: name → edit(document)."""
    import pikepdf

    def open_action(doc):
        doc.Root.OpenAction = _js_action(doc)

    def additional_actions(doc):  # runs when the page is opened, no /OpenAction needed
        doc.pages[0].obj.AA = pikepdf.Dictionary(O=_js_action(doc))
        doc.Root.AA = pikepdf.Dictionary(WC=_js_action(doc))

    def document_javascript(doc):
        tree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("init"), _js_action(doc)]))
        doc.Root.Names = pikepdf.Dictionary(JavaScript=doc.make_indirect(tree))

    def javascript_uri(doc):
        uri = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("javascript:alert(1)"))
        doc.pages[0].Annots = pikepdf.Array([_link(uri)])

    def launch(doc):
        run = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
        doc.pages[0].Annots = pikepdf.Array([_link(run)])

    def chained_after_a_web_link(doc):  # a harmless link whose /Next runs a script
        uri = pikepdf.Dictionary(
            S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/"), Next=_js_action(doc)
        )
        doc.pages[0].Annots = pikepdf.Array([_link(uri)])

    def submit_form(doc):
        submit = pikepdf.Dictionary(S=pikepdf.Name.SubmitForm, F=pikepdf.String("http://x.test"))
        doc.pages[0].Annots = pikepdf.Array([_link(submit)])

    def embedded_file(doc):
        doc.attachments["ktp.exe"] = pikepdf.AttachedFileSpec(doc, b"MZ\x90\x00")

    def xfa_form(doc):
        doc.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pikepdf.String("<x/>"))

    return {
        "open_action": open_action,
        "additional_actions": additional_actions,
        "document_javascript": document_javascript,
        "javascript_uri": javascript_uri,
        "launch": launch,
        "chained_after_a_web_link": chained_after_a_web_link,
        "submit_form": submit_form,
        "embedded_file": embedded_file,
        "xfa_form": xfa_form,
    }


HOSTILE_PDF_KINDS = tuple(_hostile_edits())
APPENDED_AFTER_EOF = b"\n<script>alert('setelah EOF')</script>\n"


def hostile_pdf(kind: str, **save_params) -> bytes:
    """A one-page PDF carrying one kind of active content (``HOSTILE_PDF_KINDS``), or
    ``"trailing_bytes"``: a clean PDF with ``APPENDED_AFTER_EOF`` after its ``%%EOF``."""
    if kind == "trailing_bytes":
        return pdf_bytes() + APPENDED_AFTER_EOF
    return pdf_bytes(edit=_hostile_edits()[kind], **save_params)


# The EICAR anti-virus test file (eicar.org): harmless, and every scanner reports it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@functools.lru_cache(maxsize=4)
def _flat_png(side: int) -> bytes:
    """A valid 8-bit grey PNG of side×side white pixels: 6300 px is ~52 KB, 39.7 MP decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit greyscale
    row = b"\x00" + b"\xff" * side  # filter byte + one white row
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def flat_png_upload(name: str = "foto.png", side: int = 6300):
    """The upload-flood probe's file: tiny on the wire, ``side``² pixels once decoded."""
    return SimpleUploadedFile(name, _flat_png(side), content_type="image/png")


@functools.lru_cache(maxsize=64)
def clean_jpeg(name: str):
    """``jpeg_upload(name)`` through the real upload cleaning, once per name (it is pure)."""
    from services.documents.cleaning import clean_upload

    return clean_upload(jpeg_upload(name))


# --- offices ----------------------------------------------------------------------------------
def _letters(n: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "BA": office codes are capital letters only."""
    text = ""
    while True:
        n, digit = divmod(n, 26)
        text = chr(ord("A") + digit) + text
        if not n:
            return text


class KecamatanFactory(DjangoModelFactory):
    """A kecamatan; the same name and city give the same row (``Kalidoni``, ``Kota
    Palembang`` unless told)."""

    class Meta:
        model = Kecamatan
        django_get_or_create = ("name", "city")

    name = "Kalidoni"
    city = "Kota Palembang"


class OfficeFactory(DjangoModelFactory):
    """An office of a kecamatan (Kalidoni, Kota Palembang unless
    ``kecamatan_ref=KecamatanFactory(name=…, city=…)`` is given); its ``kecamatan`` and
    ``city`` names follow the Kecamatan (``Office.save``)."""

    class Meta:
        model = Office

    code = factory.Sequence(lambda n: "KX" + _letters(n))
    name = factory.Sequence(lambda n: f"Kelurahan Uji {n}")
    kecamatan_ref = factory.SubFactory(KecamatanFactory)
    kecamatan = factory.LazyAttribute(lambda o: o.kecamatan_ref.name)
    city = factory.LazyAttribute(lambda o: o.kecamatan_ref.city)
    address = factory.LazyAttribute(lambda o: f"Jl. Kantor {o.name} No. 1")
    lurah_name = factory.LazyAttribute(lambda o: f"Lurah {o.name}")
    lurah_nip = "197805122005012003"


def _next_number(queryset) -> int:
    return (queryset.aggregate(n=Max("number"))["n"] or 0) + 1


class RWFactory(DjangoModelFactory):
    class Meta:
        model = RW

    office = factory.SubFactory(OfficeFactory)
    number = factory.LazyAttribute(lambda o: _next_number(RW.objects.filter(office=o.office)))


class RTFactory(DjangoModelFactory):
    """An RT; ``RTFactory(rw__office=office)`` for one in a new RW of that office."""

    class Meta:
        model = RT

    rw = factory.SubFactory(RWFactory)
    number = factory.LazyAttribute(lambda o: _next_number(RT.objects.filter(rw=o.rw)))


def rt_of(office: Office) -> RT:
    """The office's first RT, or a new one (in a new RW) when it has none."""
    rt = RT.objects.filter(rw__office=office).order_by("rw__number", "number").first()
    return rt or RTFactory(rw__office=office)


# --- people -----------------------------------------------------------------------------------
class UserFactory(DjangoModelFactory):
    """A user without a place in any office (password: ``PASSWORD``)."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pengguna{n}")
    first_name = factory.LazyAttribute(lambda u: u.username.title())
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)  # hashes the password


class AdminFactory(UserFactory):
    """A superuser for the Django admin (the admin role)."""

    username = factory.Sequence(lambda n: f"pengelola{n}")
    email = "a@example.com"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_superuser(*args, **kwargs)


class StaffFactory(UserFactory):
    """A user with a ``Membership``: ``office`` and ``role`` (and ``rt`` for an RT chair).

    The membership mirrors the role into its group (the permissions) and, for an RT chair,
    makes the user the RT's ``chair``, as the admin does.
    """

    office = factory.SubFactory(OfficeFactory)
    role = Role.OFFICER
    rt = None
    phone = ""

    @classmethod
    def _create(cls, model_class, *args, office, role, rt, phone, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        Membership.objects.create(user=user, office=office, role=role, rt=rt, phone=phone)
        return user


class OfficerFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"petugas{n}")
    role = Role.OFFICER


class SupervisorFactory(StaffFactory):
    username = factory.Sequence(lambda n: f"lurah{n}")
    role = Role.SUPERVISOR


class RtChairFactory(StaffFactory):
    """The Ketua RT of ``rt`` (a new RT when none is given); the office is the RT's."""

    username = factory.Sequence(lambda n: f"ketua_rt{n}")
    role = Role.RT_CHAIR
    rt = factory.SubFactory(RTFactory)
    office = factory.LazyAttribute(lambda o: o.rt.rw.office)


class OversightFactory(UserFactory):
    """A camat (``kecamatan=``) or, with ``role=OversightRole.CITY``, a city supervisor
    (``city=``): read-only oversight of several offices, no membership."""

    username = factory.Sequence(lambda n: f"camat{n}")
    role = OversightRole.KECAMATAN
    kecamatan = factory.LazyAttribute(
        lambda o: KecamatanFactory() if o.role == OversightRole.KECAMATAN else None
    )
    city = ""

    @classmethod
    def _create(cls, model_class, *args, role, kecamatan, city, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        Oversight.objects.create(user=user, role=role, kecamatan=kecamatan, city=city)
        return user


def camat_of(kecamatan: Kecamatan, **kwargs):
    return OversightFactory(role=OversightRole.KECAMATAN, kecamatan=kecamatan, **kwargs)


def city_supervisor_of(city: str, **kwargs):
    return OversightFactory(role=OversightRole.CITY, kecamatan=None, city=city, **kwargs)


# --- signing in -------------------------------------------------------------------------------
def totp_device(user, *, confirmed: bool = True):
    """The user's authenticator app (django-otp's TOTP device, the second factor)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="Ponsel uji", confirmed=confirmed)


def totp_code(device, *, steps_ahead: int = 0) -> str:
    """The code the user's app shows now (or ``steps_ahead`` 30-second steps later)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def log_in(client, user, *, verified: bool | None = None):
    """``client.force_login(user)``, having passed the second factor when the user needs one
    (superusers, supervisors): the session then holds their confirmed device, as after the
    code page. Officers and RT chairs are logged in as they are (``verified=True`` gives them
    a device and a verified session too, to test that a device alone opens nothing)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from kelurahan.two_factor import confirmed_device, needs_second_factor

    client.force_login(user)
    if needs_second_factor(user) if verified is None else verified:
        device = confirmed_device(user) or totp_device(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


# --- the catalogue ----------------------------------------------------------------------------
def catalogue_service(code: str | Service) -> Service:
    """One of the services the data migrations seed (KK, KTP, NIKAH, SITU)."""
    return code if isinstance(code, Service) else Service.objects.get(code=code)


SAMPLE_ANSWERS = {"text": "Contoh", "long_text": "Contoh isian", "date": "2026-12-12"}


def sample_extra(service: Service) -> dict:
    """An answer to each required data field of the service (SITU: nama usaha, ...)."""
    answers = {}
    for field in service.data_fields.filter(required=True):
        if field.kind == "choice":
            answers[field.code] = field.choice_list()[0]
        elif field.kind == "number":
            answers[field.code] = 1
        else:
            answers[field.code] = SAMPLE_ANSWERS[field.kind]
    return answers


# --- cases ------------------------------------------------------------------------------------
class ApplicationFactory(factory.Factory):
    """A case recorded at intake by ``officer`` (``state`` for a later one, see ``case_in``).

    Anything left out is made: an officer of ``office`` (or of a new office), the office's
    first RT, the service's first active variant, sample answers to its required data fields
    and, unless ``docs=False`` or ``files`` says otherwise, one pending photo per requirement.
    ``by`` is who records it when that is not the officer (an RT chair's assisted intake).
    """

    class Meta:
        model = Application

    office = None
    officer = None
    by = None
    rt = None
    service = "KTP"
    variant = None  # a ServiceVariant or its code; None: the first active one; False: none
    docs = True
    files = None  # {Requirement: [CleanFile]} instead of one photo per requirement
    # A photo per requirement of this variant (code), added after intake as an officer would
    # for a case recorded with the wrong variant (intake refuses them).
    documents_of = None
    checked = False  # every photo accepted by the officer (the case stays received)
    one_rejected = False  # one photo rejected ("foto buram"), the case not marked incomplete
    extra = None  # the data-field answers; sample ones when None
    assisted_by_user = None
    applicant_name = "Siti Rahmawati"
    nik = NIK
    phone = "+6281234567890"
    address = "Jl. Mawar No. 3"
    kk_number = ""
    email = ""
    purpose = ""
    channel = "walk_in"
    assisted_by = ""
    delivery = "pickup"
    delivery_address = ""
    # Where the workflow takes it after intake, and who acts on the way.
    state = S.RECEIVED
    chair = None
    rt_note = ""  # the officer's note to the Ketua RT when the case is sent
    neighbour_reason = ""  # when given, the RT is asked for neighbours' attestations too
    returned = False  # incomplete through the RT: sent to it, then returned by its Ketua RT
    reason = ""  # the cancellation's, or the Ketua RT's rejection or return (a sample if empty)
    courier_name = ""  # completed, a courier case: who delivered it, and the receipt number
    courier_receipt = ""
    jobs = False

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError("A case exists only once recorded: use ApplicationFactory() or case_in().")

    @classmethod
    def _create(
        cls,
        model_class,
        *,
        state,
        chair,
        rt_note,
        neighbour_reason,
        returned,
        reason,
        courier_name,
        courier_receipt,
        jobs,
        office,
        officer,
        documents_of,
        checked,
        one_rejected,
        **kwargs,
    ):
        from services import workflow
        from services.catalogue import requirements_for

        if officer is None:
            officer = OfficerFactory(office=office) if office else OfficerFactory()
        application = _receive(
            office=office or officer.membership.office, officer=officer, **kwargs
        )
        if documents_of is not None:
            variant = application.service.variants.get(code=documents_of)
            for requirement in requirements_for(application.service, variant):
                workflow.attachment_add(
                    application=application,
                    requirement=requirement,
                    files=[clean_jpeg(f"{requirement.code}.jpg")],
                    by=officer,
                )
        if checked:
            workflow.attachment_accept_all(application=application, by=officer)
        if one_rejected:
            reject_one(application, by=officer)
        if state != S.RECEIVED:
            advance(
                application,
                state,
                by=officer,
                chair=chair,
                rt_note=rt_note,
                neighbour_reason=neighbour_reason,
                returned=returned,
                reason=reason,
                courier_name=courier_name,
                courier_receipt=courier_receipt,
                jobs=jobs,
            )
        return application


def _receive(
    *,
    office,
    officer,
    by,
    rt,
    service,
    variant,
    docs,
    files,
    extra,
    assisted_by_user,
    **applicant,
) -> Application:
    from services import workflow
    from services.catalogue import requirements_for

    rt = rt or rt_of(office)
    service = catalogue_service(service)
    if variant is False:
        variant = None
    elif variant is None:
        variant = service.variants.filter(active=True).first()
    elif not isinstance(variant, ServiceVariant):
        variant = service.variants.get(code=variant)
    if files is None:
        files = {}
        if docs:
            files = {r: [clean_jpeg(f"{r.code}.jpg")] for r in requirements_for(service, variant)}
    return workflow.application_receive(
        office=office,
        service=service,
        data=workflow.ApplicantData(rt_id=rt.pk, **applicant),
        files=files,
        by=by or officer,
        assisted_by_user=assisted_by_user,
        variant=variant,
        extra=sample_extra(service) if extra is None else extra,
    )


def steps_to(state: str, *, returned: bool = False) -> list[str]:
    """The workflow steps from ``received`` to ``state``, in order (the lifecycle's paths).

    ``returned``: the other path to ``incomplete``, the Ketua RT returning the case.
    """
    through_the_rt = ["accept_all", "archive", "send_to_rt"]
    if returned:
        if state != S.INCOMPLETE:
            raise ValueError(f"Only an incomplete case is returned by the RT, not {state}.")
        return [*through_the_rt, "return"]
    return {
        S.RECEIVED: [],
        S.INCOMPLETE: ["reject_one", "mark_incomplete"],
        S.ARCHIVED: ["accept_all", "archive"],
        S.IN_VERIFICATION: through_the_rt,
        S.VERIFIED: [*through_the_rt, "approve"],
        S.REJECTED: [*through_the_rt, "reject"],
        S.ISSUED: [*through_the_rt, "approve", "issue"],
        S.COMPLETED: [*through_the_rt, "approve", "issue", "render", "hand_over"],
        S.CANCELLED: ["cancel"],
    }[state]


def reject_one(application: Application, *, by, reason: str = "foto buram") -> None:
    """The officer rejects one pending photo (none left: the missing ones are reason enough)."""
    from services import workflow

    pending = application.attachments.filter(verdict="pending").first()
    if pending is not None:
        workflow.attachment_reject(attachment=pending, by=by, reason=reason)


def advance(
    application: Application,
    state: str,
    *,
    by,
    chair=None,
    rt_note: str = "",
    neighbour_reason: str = "",
    returned: bool = False,
    reason: str = "",
    courier_name: str = "",
    courier_receipt: str = "",
    jobs: bool = False,
) -> Application:
    """Run the workflow steps that take a received case to ``state``; returns the case.

    ``by`` acts for the office; ``chair`` (the RT's Ketua RT, made when the RT has none)
    decides. incomplete: one photo rejected, then marked incomplete. archived: every photo
    accepted. in_verification/verified/rejected: sent to the RT, then approved or rejected.
    ``returned``: incomplete by the other path, sent to the RT and returned by its Ketua RT.
    ``reason``: the words of the cancellation, the rejection or the return (a sample if empty).
    issued: the letter numbered; completed: its PDF rendered, then collected in person, or
    for a courier case (``delivery="courier"``) sent with ``courier_name``/``courier_receipt``,
    or for an electronic one (``delivery="electronic"``, SITU or NIKAH) downloaded by the
    resident from the status link.
    ``jobs`` runs what the last step queued for after commit (issued: the letter's PDF), as a
    real commit would; the jobs of the steps before it do not run.
    """
    from django.test import TestCase

    from services import workflow
    from services.tasks import render_letter_task
    from verification import workflow as rt_workflow

    chair_of_rt = chair
    request = None

    def run(step: str) -> None:
        nonlocal chair_of_rt, request
        case = {"application": application, "by": by}
        if step == "reject_one":
            reject_one(application, by=by)
        elif step == "mark_incomplete":
            workflow.application_mark_incomplete(**case)
        elif step == "cancel":
            workflow.application_cancel(**case, reason=reason or "pemohon membatalkan")
        elif step == "accept_all":
            if application.attachments.filter(verdict="pending").exists():
                workflow.attachment_accept_all(**case)
        elif step == "archive":
            workflow.application_archive(**case)
        elif step == "send_to_rt":
            request = rt_workflow.application_send_to_rt(
                **case,
                note=rt_note,
                needs_neighbours=bool(neighbour_reason),
                neighbour_reason=neighbour_reason,
            )
            if chair_of_rt is None:
                rt = RT.objects.get(pk=application.rt_id)
                chair_of_rt = User.objects.filter(pk=rt.chair_id).first()
        elif step == "approve":
            if request.needs_neighbours:  # the chair records a neighbour's word first
                rt_workflow.attestation_add(
                    request=request,
                    by=chair_of_rt,
                    name="Pak Darto",
                    address="Jl. Mawar No. 5",
                    relation="tetangga sebelah",
                    statement="Benar tinggal di sini sejak 2019.",
                )
            rt_workflow.verification_approve(request=request, by=chair_of_rt)
        elif step == "reject":
            rt_workflow.verification_reject(
                request=request, by=chair_of_rt, note=reason or "bukan warga RT ini"
            )
        elif step == "return":
            rt_workflow.verification_return(
                request=request, by=chair_of_rt, note=reason or "foto KK buram"
            )
        elif step == "issue":
            application.refresh_from_db()
            workflow.application_issue(**case)
        elif step == "render":  # the PDF job issue queued: a letter is handed over once rendered
            render_letter_task(current_letter(application).pk)
        elif step == "hand_over":
            application.refresh_from_db()
            if application.delivery == "electronic":  # the resident downloads it
                workflow.application_download_by_resident(
                    application=application, letter=current_letter(application)
                )
            elif application.delivery == "courier":
                workflow.application_hand_over(
                    **case,
                    method="courier",
                    courier_name=courier_name or "JNE",
                    courier_receipt=courier_receipt or "JN0000000001",
                )
            else:
                workflow.application_hand_over(
                    **case, method="pickup", received_by="Siti Rahmawati"
                )

    steps = steps_to(state, returned=returned)
    if "send_to_rt" in steps and chair is None:
        rt = RT.objects.get(pk=application.rt_id)
        if rt.chair_id is None:
            chair_of_rt = RtChairFactory(rt=rt)
    for n, step in enumerate(steps, start=1):
        with TestCase.captureOnCommitCallbacks(execute=jobs and n == len(steps)):
            run(step)
    application.refresh_from_db()
    return application


def case_in(state: str, **kwargs) -> Application:
    """A case that went through the real steps to ``state`` (``ApplicationFactory``'s options)."""
    return ApplicationFactory(state=state, **kwargs)


def sent_to_rt(**kwargs):
    """The pending RT request of a case just sent to its RT (``case_in``'s options)."""
    return case_in(S.IN_VERIFICATION, **kwargs).verification_requests.get()


def issued_letter(**kwargs):
    """The letter of a case just issued, its PDF rendered (``case_in``'s options)."""
    from services.selectors import current_letter

    return current_letter(case_in(S.ISSUED, jobs=True, **kwargs))


def received_in_bulk(n: int, *, officer, rt, due, service="KTP") -> list[Application]:
    """``n`` received cases of ``officer``'s office whose archive deadline is ``due``.

    For volume tests only (a sweep over a thousand cases): the rows intake would write, with
    their ``receive`` events, inserted in two queries instead of ``n`` intakes; no documents.
    """
    from datetime import timedelta

    from services.models import ApplicationEvent

    office = officer.membership.office
    cases = Application.objects.bulk_create(
        Application(
            code=f"BLK-{i:06d}",
            office=office,
            service=catalogue_service(service),
            applicant_name=f"Warga {i}",
            nik=f"32710101019{i:05d}",
            phone="+6281234567890",
            address="Jl. Uji",
            rt=rt,
            received_by=officer,
            received_at=due - timedelta(hours=6),
            archive_due=due,
            verify_due=due + timedelta(days=1),
            issue_due=due + timedelta(days=2),
        )
        for i in range(n)
    )
    ApplicationEvent.objects.bulk_create(
        ApplicationEvent(application=case, by=officer, transition="receive", target=S.RECEIVED)
        for case in cases
    )
    return cases


def timed_case(*, officer, rt, steps: dict, chair=None, **kwargs) -> Application:
    """A case recorded, then taken through its steps each at its own moment (``steps``:
    "receive", then any of "archive" (every photo accepted, archived and sent to the RT at
    once), "approve" (by the RT's Ketua RT) and "issue", in that order). The workflow writes
    what each step leaves (events, stage times, the letter) as at that moment."""
    import time_machine

    from services import workflow
    from verification import workflow as rt_workflow

    with time_machine.travel(steps["receive"], tick=False):
        case = ApplicationFactory(officer=officer, rt=rt, **kwargs)
    if "archive" in steps:
        with time_machine.travel(steps["archive"], tick=False):
            workflow.attachment_accept_all(application=case, by=officer)
            workflow.application_archive(application=case, by=officer)
            if RT.objects.get(pk=rt.pk).chair_id is None and chair is None:
                chair = RtChairFactory(rt=rt)
            rt_workflow.application_send_to_rt(application=case, by=officer)
    if "approve" in steps:
        chair = chair or User.objects.get(pk=RT.objects.get(pk=rt.pk).chair_id)
        with time_machine.travel(steps["approve"], tick=False):
            rt_workflow.verification_approve(
                request=case.verification_requests.get(state="pending"), by=chair
            )
    if "issue" in steps:
        with time_machine.travel(steps["issue"], tick=False):
            case.refresh_from_db()
            workflow.application_issue(application=case, by=officer)
    case.refresh_from_db()
    return case


def cases_in_bulk(n: int, *, officer, rts, start, first=0, service="KTP") -> list[Application]:
    """``n`` cases of ``officer``'s office received from ``start`` on, an hour apart, spread
    over ``rts``: every third still open, the others issued (stage times set, some late), and
    an SLA breach for every fifth. For volume tests only (the charts' query count): the rows
    the steps would leave, inserted in a few queries instead of ``n`` journeys. ``first``:
    the number of the first (a second batch continues the codes and NIKs)."""
    from datetime import timedelta

    from services.models import SlaBreach

    office = officer.membership.office
    cases = []
    for i in range(first, first + n):
        received = start + timedelta(hours=i - first)
        issued = None if i % 3 == 0 else received + timedelta(days=2 + i % 3)
        cases.append(
            Application(
                code=f"VOL-{i:06d}",
                office=office,
                service=catalogue_service(service),
                state=S.RECEIVED if issued is None else S.ISSUED,
                applicant_name=f"Warga {i}",
                nik=f"32710101019{i:05d}",
                phone="+6281234567890",
                address="Jl. Uji",
                rt=rts[i % len(rts)],
                received_by=officer,
                received_at=received,
                archive_due=received + timedelta(hours=6),
                verify_due=received + timedelta(days=1),
                issue_due=received + timedelta(days=3),
                archived_at=issued and received + timedelta(hours=2),
                verified_at=issued and received + timedelta(days=1),
                issued_at=issued,
                archive_seconds=issued and 7200,
                verify_seconds=issued and 8 * 3600,
                issue_seconds=issued and 4 * 3600,
            )
        )
    cases = Application.objects.bulk_create(cases)
    SlaBreach.objects.bulk_create(
        SlaBreach(
            application=case,
            office=office,
            rt=case.rt,
            milestone="archive",
            due=case.archive_due,
        )
        for case in cases[::5]
    )
    return cases


def closed_day(office: Office, day, reason: str = "kerja bakti kantor"):
    """A day ``office`` is closed beyond the national calendar."""
    from kelurahan.models import OfficeClosedDay

    return OfficeClosedDay.objects.create(office=office, date=day, reason=reason)


# --- complaints -------------------------------------------------------------------------------
COMPLAINT_TEXT = "Petugas loket tidak ada di tempat pada jam buka, saya menunggu dua jam."
COMPLAINT_STEPS = {
    "received": [],
    "verified": ["verify"],
    "answered": ["verify", "answer"],
    "closed": ["verify", "answer", "close"],
    "dismissed": ["dismiss"],
}


def complaint_filed(
    *,
    office: Office | None = None,
    kind: str = "pengaduan",
    text: str = COMPLAINT_TEXT,
    contact_name: str = "Siti Rahmawati",
    contact_phone: str = "081234567890",
    contact_email: str = "",
    application: Application | None = None,
    photo=None,
):
    """A complaint taken in through the real public step (``complaint_file``)."""
    from services.complaints import complaint_file

    if office is None:
        office = application.office if application is not None else OfficeFactory()
    return complaint_file(
        office=office,
        kind=kind,
        text=text,
        contact_name=contact_name,
        contact_phone=contact_phone,
        contact_email=contact_email,
        application=application,
        photo=photo,
    )


def complaint_in(
    state: str,
    *,
    by=None,
    answer: str = "Mohon maaf, loket kini dijaga bergantian sepanjang jam buka.",
    reason: str = "Bukan urusan kelurahan: soal tagihan listrik.",
    **kwargs,
):
    """A complaint that went through the real steps to ``state`` (``complaint_filed``'s
    options; ``by`` acts, by default a new officer of its office)."""
    from services import complaints

    complaint = complaint_filed(**kwargs)
    by = by or OfficerFactory(office=complaint.office)
    steps = {
        "verify": lambda: complaints.complaint_verify(complaint=complaint, by=by),
        "answer": lambda: complaints.complaint_answer(complaint=complaint, by=by, answer=answer),
        "close": lambda: complaints.complaint_close(complaint=complaint, by=by),
        "dismiss": lambda: complaints.complaint_dismiss(complaint=complaint, by=by, reason=reason),
    }
    for step in COMPLAINT_STEPS[state]:
        steps[step]()
    complaint.refresh_from_db()
    return complaint


# --- the satisfaction survey (SKM) --------------------------------------------------------------
class SurveyResponseFactory(DjangoModelFactory):
    """A questionnaire: ``answers=(4, 3, …)`` (nine, U1–U9) or each ``u1=…`` on its own.

    Paper by default (no case); an online response is made through the resident's step
    (``survey_submit``) by ``online_response(application, …)``.
    """

    class Meta:
        model = "services.SurveyResponse"
        exclude = ("answers",)

    office = factory.SubFactory(OfficeFactory)
    service = factory.LazyFunction(lambda: catalogue_service("KTP"))
    answers = (3,) * 9
    channel = "kertas"
    sex = "P"
    age_band = "30_39"
    education = "sma"
    occupation = "wiraswasta"
    u1 = factory.LazyAttribute(lambda o: o.answers[0])
    u2 = factory.LazyAttribute(lambda o: o.answers[1])
    u3 = factory.LazyAttribute(lambda o: o.answers[2])
    u4 = factory.LazyAttribute(lambda o: o.answers[3])
    u5 = factory.LazyAttribute(lambda o: o.answers[4])
    u6 = factory.LazyAttribute(lambda o: o.answers[5])
    u7 = factory.LazyAttribute(lambda o: o.answers[6])
    u8 = factory.LazyAttribute(lambda o: o.answers[7])
    u9 = factory.LazyAttribute(lambda o: o.answers[8])


def online_response(application: Application, answers=(4,) * 9, suggestion: str = "", **profile):
    """The resident's own online response for a completed case, through ``survey_submit``."""
    from services.survey import ELEMENT_CODES, survey_submit

    defaults = {"sex": "L", "age_band": "40_49", "education": "s1", "occupation": "swasta"}
    return survey_submit(
        application=application,
        answers=dict(zip(ELEMENT_CODES, answers, strict=True)),
        profile={**defaults, **profile},
        suggestion=suggestion,
    )


def failed_jobs(n: int, *, at=None) -> None:
    """``n`` tasks django-q2 recorded as failed at ``at`` (now), as a worker saves a failure."""
    import uuid

    from django.utils import timezone
    from django_q.models import Task

    at = at or timezone.now()
    Task.objects.bulk_create(
        Task(
            id=uuid.uuid4().hex,
            name=f"gagal-{i}",
            func="services.tasks.render_letter_task",
            started=at,
            stopped=at,
            success=False,
            result="Traceback …",
        )
        for i in range(n)
    )


# --- a whole office, for the simulation ---------------------------------------------------------
def staffed_office(*, code: str | None = None, rts=((1, 1), (1, 2), (2, 1)), officers: int = 2):
    """An office as ``manage.py simulate`` needs it: RTs (``(RW, RT)`` numbers) each with its
    Ketua RT, ``officers`` officers and a supervisor (the one who is escalated to)."""
    office = OfficeFactory(**({"code": code} if code else {}))
    rws: dict[int, RW] = {}
    for rw_number, rt_number in rts:
        if rw_number not in rws:
            rws[rw_number] = RWFactory(office=office, number=rw_number)
        RtChairFactory(rt=RTFactory(rw=rws[rw_number], number=rt_number))
    for _ in range(officers):
        OfficerFactory(office=office)
    SupervisorFactory(office=office)
    return office
