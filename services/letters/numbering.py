"""Numbering letters: one OfficeCounter row taken inside the issuing transaction (no duplicate,
no gap, under concurrency, on SQLite and PostgreSQL)."""

from __future__ import annotations

from django.utils import timezone

from kelurahan.numbering import next_number
from services.letters.patterns import ROMAN_MONTHS, format_number
from services.models import Application, Letter, LetterKind


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
