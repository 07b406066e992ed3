"""A letter's words: the service's body with its placeholders filled, and the whole template
context of a letter (applicant data, signatory, QR code to the verification page)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError

from services.catalogue import extra_rows
from services.letters.patterns import PLACEHOLDER, date_id
from services.letters.pdf import image_data_uri, qr_svg_data_uri
from services.models import Application, Letter
from services.validators import nik_birth_date, nik_is_female

logger = logging.getLogger(__name__)


def placeholder_values(application: Application, rows: list | None = None) -> dict[str, str]:
    """Every placeholder's value; ``rows`` are the case's ``extra_rows`` when the caller has
    them already (the letter reads them once)."""
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
    for row in extra_rows(application) if rows is None else rows:
        values.setdefault(row.code, row.text)
    return values


def body_text(application: Application, rows: list | None = None) -> str:
    """The service's editable body with its placeholders filled; plain text (escaped later)."""
    values = placeholder_values(application, rows)
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


def office_logo_data_uri(office) -> str | None:
    """The office logo as a data: URI for the kop (never a URL WeasyPrint would fetch).

    The admin stores it re-encoded (services.admin); a file that is missing or is no image
    after all leaves the kop without a logo rather than failing the letter.
    """

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
    application = letter.application
    office = letter.office
    rows = extra_rows(application)  # one read of the service's data fields per letter
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
        "body": body_text(application, rows),
        "extra_rows": [row for row in rows if row.on_letter],
        "date": date_id(letter.issued_at),
        "qr": qr_svg_data_uri(verification_url(letter)),
        "verify_url": verification_url(letter),
    }
