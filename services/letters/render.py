"""Rendering letters and archive bundles to PDF (the jobs' work).

PDFs are rendered by jobs after commit, to a fixed path, once: a second run finds the SHA-256
already stored and changes nothing. Each render claims its document first
(``services.letters.renders``): a second worker given the same document while the first is
still at it returns at once, so at most one render per document is in flight. Letter
templates live in ``templates/letters/``, one per service code (``kk.html`` …)
plus ``rt_cover.html``, all extending ``base_letter.html``.
"""

from __future__ import annotations

import hashlib
import io

import pikepdf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from services.catalogue import extra_rows
from services.letters.patterns import date_id
from services.letters.pdf import PDF_MAX_HTML_CHARS, image_data_uri, render_pdf
from services.letters.renders import render_claim, render_close, render_release
from services.letters.text import letter_context
from services.models import Application, Attachment, Letter, LetterKind, Verdict
from services.requirements import requirement_statuses


def letter_template(letter: Letter) -> str:
    if letter.kind == LetterKind.RT_COVER:
        return "letters/rt_cover.html"
    return f"letters/{letter.application.service.code.lower()}.html"


def render_letter(letter_id: int) -> bool:
    """Render a letter's PDF once; False when it was already there (idempotent)."""
    letter = Letter.objects.select_related(
        "application__service",
        "application__rt__rw",
        "application__variant",
        "application__office",
        "office",
    ).get(pk=letter_id)
    if letter.is_rendered:
        return False
    claimed_at = render_claim(letter_id=letter.pk)
    if claimed_at is None:  # another worker is rendering it
        return False
    try:
        # The render guard (F41): a letter over PDF_MAX_HTML_CHARS is refused before WeasyPrint.
        content = render_pdf(
            letter_template(letter), letter_context(letter), max_html_chars=PDF_MAX_HTML_CHARS
        )
        path = (
            f"letters/{letter.office.code}/{timezone.localtime(letter.issued_at):%Y}/"
            f"{letter.token}.pdf"
        )
        _write_fixed(path, content)
    except BaseException:
        render_release(claimed_at, letter_id=letter.pk)
        raise
    with transaction.atomic():
        stored = Letter.objects.filter(pk=letter.pk, sha256="").update(
            pdf=path, sha256=hashlib.sha256(content).hexdigest()
        )
        render_close(letter_id=letter.pk)
    return bool(stored)


def _write_fixed(path: str, content: bytes) -> None:
    """Write to exactly ``path``, replacing a partial file an interrupted run left behind."""
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(content))
    assert saved == path, (saved, path)


def render_bundle(application_id: int) -> bool:
    """The archive bundle: a cover sheet, then every accepted document (images one per page,
    PDF attachments appended). Once per case; False when already there."""

    application = Application.objects.select_related(
        "service", "office", "rt__rw", "received_by", "variant"
    ).get(pk=application_id)
    if application.bundle_sha256:
        return False
    claimed_at = render_claim(application_id=application.pk)
    if claimed_at is None:  # another worker is rendering it
        return False
    try:
        path, content = _bundle_pdf(application)
    except BaseException:
        render_release(claimed_at, application_id=application.pk)
        raise
    with transaction.atomic():
        stored = Application.objects.filter(pk=application.pk, bundle_sha256="").update(
            bundle=path, bundle_sha256=hashlib.sha256(content).hexdigest()
        )
        render_close(application_id=application.pk)
    return bool(stored)


def _bundle_pdf(application: Application) -> tuple[str, bytes]:
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
    statuses = requirement_statuses(application)
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
        max_html_chars=PDF_MAX_HTML_CHARS,  # the photos are data: URIs and do not count
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
    return path, content
