"""The public verification page ``/v/<token>``: what anyone holding a letter may learn.

Number, date, service, a masked name, valid or revoked, and the PDF's SHA-256; nothing else.
"""

from __future__ import annotations

from services.letters.patterns import date_id
from services.models import Letter


def masked_name(name: str) -> str:
    """Siti Rahmawati -> S*** R******: enough to match the paper in hand, not to read it."""
    return " ".join(part[0] + "*" * (len(part) - 1) for part in name.split() if part)


def letter_for_token(token: str) -> Letter | None:
    return (
        Letter.objects.select_related("application__service", "office").filter(token=token).first()
    )


def page_context(letter: Letter | None) -> dict:
    """The template context of the page; an unknown token shows the "not found" text."""
    return {
        "letter": letter,
        "holder": masked_name(letter.application.applicant_name) if letter else "",
        "date": date_id(letter.issued_at) if letter else "",
    }
