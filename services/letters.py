"""Letters: numbering, the body text, and rendering the PDFs (letters and archive bundles).

Numbers come from an OfficeCounter row taken inside the issuing transaction (no duplicate,
no gap, under concurrency, on SQLite and PostgreSQL). PDFs are rendered by jobs after commit,
to a fixed path, once: a second run finds the SHA-256 already stored and changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from kelurahan.numbering import next_number
from services.models import (
    Application,
    Attachment,
    Letter,
    LetterKind,
    Service,
    Verdict,
)
from services.validators import nik_birth_date, nik_is_female

ROMAN_MONTHS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
MONTHS_ID = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
PLACEHOLDER = re.compile(r"\{(\w+)\}")
logger = logging.getLogger(__name__)


def format_number(pattern: str, service: Service, office_code: str, seq: int, when) -> str:
    when = timezone.localtime(when)
    return pattern.format(
        classification=service.classification,
        seq=seq,
        office=office_code,
        service=service.code,
        month_roman=ROMAN_MONTHS[when.month - 1],
        year=when.year,
    )


def date_id(when) -> str:
    """23 November 2026."""
    when = timezone.localtime(when) if isinstance(when, datetime) else when
    return f"{when.day} {MONTHS_ID[when.month - 1]} {when.year}"


def counter_key(application: Application, when) -> str:
    year = timezone.localtime(when).year
    if application.office.letter_counter_per_service:
        return f"letter-{year}-{application.service.code}"
    return f"letter-{year}"


def new_output_letter(application: Application, by, replaces: Letter | None = None) -> Letter:
    """Number and store a letter for the case; call inside the issuing transaction."""
    office = application.office
    now = timezone.now()
    key = counter_key(application, now)
    seq = next_number(office=office, key=key)
    signs_in_person = not office.signatory_form
    return Letter.objects.create(
        application=application,
        office=office,
        kind=LetterKind.OUTPUT,
        number=format_number(
            application.service.number_pattern, application.service, office.code, seq, now
        ),
        counter_key=key,
        seq=seq,
        issued_at=now,
        issued_by=by,
        signatory_form=office.signatory_form,
        signatory_name=office.lurah_name if signs_in_person else office.signatory_name,
        signatory_title=f"Lurah {office.name}" if signs_in_person else office.signatory_title,
        signatory_nip=office.lurah_nip if signs_in_person else office.signatory_nip,
        replaces=replaces,
    )


def new_rt_cover_letter(application: Application, chair) -> Letter:
    """The digital Surat Pengantar RT given by the chair's approval in the portal."""
    rt = application.rt
    now = timezone.now()
    key = f"rt-cover-{timezone.localtime(now).year}-{rt.pk}"
    seq = next_number(office=application.office, key=key)
    local = timezone.localtime(now)
    return Letter.objects.create(
        application=application,
        office=application.office,
        kind=LetterKind.RT_COVER,
        number=f"{seq:03}/RT{rt.number:03}-RW{rt.rw.number:03}/{ROMAN_MONTHS[local.month - 1]}/"
        f"{local.year}",
        counter_key=key,
        seq=seq,
        issued_at=now,
        issued_by=chair,
        signatory_name=chair.get_full_name() or chair.username,
        signatory_title=f"Ketua {rt}",
    )


# The opening sentence is the letter template's (base_letter.html), above the data table;
# a service's body starts after the table and must not say it again (Service.clean).
OPENING = "Yang bertanda tangan di bawah ini"

# Placeholders every letter body may use; a service adds its data-field codes to them.
BUILTIN_PLACEHOLDERS = {
    "nama": "nama pemohon",
    "nik": "NIK",
    "kk": "nomor KK",
    "alamat": "alamat",
    "rt": "nomor RT",
    "rw": "nomor RW",
    "keperluan": "keperluan",
    "layanan": "nama layanan",
    "jenis_permohonan": "jenis permohonan",
    "kelurahan": "nama kelurahan",
    "kecamatan": "kecamatan",
    "kota": "kota",
}


def placeholder_values(application: Application) -> dict[str, str]:
    from services.catalogue import extra_rows

    values = {
        "nama": application.applicant_name,
        "nik": application.nik,
        "kk": application.kk_number,
        "alamat": application.address,
        "rt": f"{application.rt.number:03}",
        "rw": f"{application.rt.rw.number:03}",
        "keperluan": application.purpose or application.service.name,
        "layanan": application.service.name,
        "jenis_permohonan": application.variant.name if application.variant else "",
        "kelurahan": application.office.name,
        "kecamatan": application.office.kecamatan,
        "kota": application.office.city,
    }
    # A data field never overrides a built-in (ServiceField.clean refuses such codes).
    for row in extra_rows(application):
        values.setdefault(row.code, row.text)
    return values


def body_text(application: Application) -> str:
    """The service's editable body with its placeholders filled; plain text (escaped later)."""
    values = placeholder_values(application)
    template = application.service.letter_body or DEFAULT_BODY
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


DEFAULT_BODY = (
    "Orang tersebut di atas benar warga Kelurahan {kelurahan}, Kecamatan {kecamatan}, {kota}, "
    "beralamat di {alamat} RT {rt} RW {rw}.\n\nSurat ini diberikan untuk keperluan: {keperluan}."
)


def place_name(city: str) -> str:
    """'Kota Palembang' -> 'Palembang', for the place-and-date line."""
    for prefix in ("Kota ", "Kabupaten ", "Kab. "):
        if city.startswith(prefix):
            return city[len(prefix) :]
    return city


def verification_url(letter: Letter) -> str:
    return f"{settings.SITE_URL}/v/{letter.token}"


# --- rendering (jobs) -------------------------------------------------------------------------
def letter_template(letter: Letter) -> str:
    if letter.kind == LetterKind.RT_COVER:
        return "letters/rt_cover.html"
    return f"letters/{letter.application.service.code.lower()}.html"


def office_logo_data_uri(office) -> str | None:
    """The office logo as a data: URI for the kop (never a URL WeasyPrint would fetch).

    The admin stores it re-encoded (services.admin); a file that is missing or is no image
    after all leaves the kop without a logo rather than failing the letter.
    """
    from services.pdf import image_data_uri

    if not office.logo:
        return None
    try:
        with office.logo.open("rb") as f:
            content = f.read()
        return image_data_uri(content, "image/png" if content[:4] == b"\x89PNG" else "image/jpeg")
    except (OSError, ValueError):
        logger.warning(
            "Office %s: logo %s is unreadable; letter without it", office.code, office.logo.name
        )
        return None


def letter_context(letter: Letter) -> dict:
    from services.catalogue import extra_rows
    from services.pdf import qr_svg_data_uri

    application = letter.application
    office = letter.office
    try:
        birth, female = nik_birth_date(application.nik), nik_is_female(application.nik)
    except ValidationError:  # an NIK recorded before validation tightened: print without
        birth, female = None, None
    return {
        "letter": letter,
        "application": application,
        "office": office,
        "place": place_name(office.city),
        "birth_date": date_id(birth) if birth else "",
        "sex": "" if female is None else ("Perempuan" if female else "Laki-laki"),
        "logo": office_logo_data_uri(office),
        "body": body_text(application),
        "extra_rows": [row for row in extra_rows(application) if row.on_letter],
        "date": date_id(letter.issued_at),
        "qr": qr_svg_data_uri(verification_url(letter)),
        "verify_url": verification_url(letter),
    }


def render_letter(letter_id: int) -> bool:
    """Render a letter's PDF once; False when it was already there (idempotent)."""
    from services.pdf import render_pdf

    letter = Letter.objects.select_related(
        "application__service",
        "application__rt__rw",
        "application__variant",
        "application__office",
        "office",
    ).get(pk=letter_id)
    if letter.is_rendered:
        return False
    content = render_pdf(letter_template(letter), letter_context(letter))
    path = (
        f"letters/{letter.office.code}/{timezone.localtime(letter.issued_at):%Y}/{letter.token}.pdf"
    )
    _write_fixed(path, content)
    return bool(
        Letter.objects.filter(pk=letter.pk, sha256="").update(
            pdf=path, sha256=hashlib.sha256(content).hexdigest()
        )
    )


def _write_fixed(path: str, content: bytes) -> None:
    """Write to exactly ``path``, replacing a partial file an interrupted run left behind."""
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(content))
    assert saved == path, (saved, path)


def render_bundle(application_id: int) -> bool:
    """The archive bundle: a cover sheet, then every accepted document (images one per page,
    PDF attachments appended). Once per case; False when already there."""
    import pikepdf

    from services.catalogue import extra_rows
    from services.pdf import image_data_uri, render_pdf

    application = Application.objects.select_related(
        "service", "office", "rt__rw", "received_by", "variant"
    ).get(pk=application_id)
    if application.bundle_sha256:
        return False
    accepted = list(
        Attachment.objects.filter(application=application, verdict=Verdict.ACCEPTED)
        .select_related("requirement", "verdict_by")
        .order_by("requirement__order", "uploaded_at", "id")
    )
    archived_event = application.events.filter(transition="archive").select_related("by").last()
    images = []
    for attachment in accepted:
        if attachment.is_image:
            with attachment.file.open("rb") as f:
                images.append((attachment, image_data_uri(f.read(), attachment.content_type)))
    statuses = _checklist(application)
    cover = render_pdf(
        "letters/archive_bundle.html",
        {
            "application": application,
            "checklist": statuses,
            "extra_rows": extra_rows(application),
            "archived_event": archived_event,
            "images": images,
            "date": date_id(timezone.now()),
        },
    )
    bundle = pikepdf.open(io.BytesIO(cover))
    for attachment in accepted:
        if not attachment.is_image:
            with attachment.file.open("rb") as f, pikepdf.open(io.BytesIO(f.read())) as extra:
                bundle.pages.extend(extra.pages)
    out = io.BytesIO()
    bundle.save(out)
    content = out.getvalue()
    path = f"bundles/{application.office.code}/{application.code}.pdf"
    _write_fixed(path, content)
    return bool(
        Application.objects.filter(pk=application.pk, bundle_sha256="").update(
            bundle=path, bundle_sha256=hashlib.sha256(content).hexdigest()
        )
    )


def _checklist(application: Application) -> list:
    from services.workflow import requirement_statuses

    return requirement_statuses(application)


def masked_name(name: str) -> str:
    """Siti Rahmawati -> S*** R******: enough to match the paper in hand, not to read it."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split() if part)
