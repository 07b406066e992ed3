"""Serving stored documents and the access log: one response builder for every scoped view
that shows a document (and one for a letter downloaded by its resident), and one function
that records who viewed whose data (UU PDP)."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from services.models import AccessLog, Attachment, Letter


def log_access(
    *,
    user,
    action: str,
    application_id: int | None = None,
    attachment=None,
    complaint_id: int | None = None,
) -> AccessLog:
    """One row of the access log: who viewed or downloaded what of whose case or complaint
    (UU PDP).

    ``user`` is None for the resident, who has no account (the status link's download,
    action ``resident_download_letter``).
    """
    return AccessLog.objects.create(
        user=user,
        application_id=application_id,
        complaint_id=complaint_id,
        attachment=attachment,
        action=action,
    )


def private_file_response(stored, *, content_type: str, filename: str, as_attachment: bool):
    """A stored private file, from Python or, with PRIVATE_MEDIA_ACCEL_PREFIX set, through
    nginx: an empty answer whose X-Accel-Redirect names the file under the web server's
    internal location (docs/deploy.md). Callers check access and log before calling."""
    prefix = getattr(settings, "PRIVATE_MEDIA_ACCEL_PREFIX", "")
    if not prefix:
        return FileResponse(
            stored.open("rb"),
            content_type=content_type,
            as_attachment=as_attachment,
            filename=filename,
        )
    response = HttpResponse(b"", content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(stored.name)
    return response


def attachment_response(request, attachment: Attachment, *, thumbnail: bool = False):
    """The file (or its thumbnail), private and never sniffed; every view is logged."""
    if thumbnail and not attachment.thumbnail:
        raise Http404("Berkas ini tidak punya gambar kecil.")
    stored = attachment.thumbnail if thumbnail else attachment.file
    # A thumbnail of a KTP shows the NIK as well as the full scan does.
    log_access(
        user=request.user,
        application_id=attachment.application_id,
        attachment=attachment,
        action="view_thumbnail" if thumbnail else "view_document",
    )
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    response = private_file_response(
        stored,
        content_type=content_type,
        # Both kinds open in the browser: images were re-encoded by us, and PDFs were refused
        # at upload when they carry scripts, actions or embedded files
        # (services.documents.cleaning).
        as_attachment=False,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Nothing may load, run, be framed or be posted from the document, PDF viewer included
    # (Chromium shows a PDF inline under this policy; checked in tests/e2e).
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def letter_download_response(letter: Letter):
    """The letter's stored PDF (the file whose SHA-256 /v/<token> shows) as a download.

    Opened here, so a file missing from storage is a 404 before anything is recorded.
    """
    if not letter.is_rendered:
        raise Http404("PDF surat masih dibuat.")
    if not letter.pdf.storage.exists(letter.pdf.name):
        raise Http404("PDF surat tidak ditemukan.")
    response = private_file_response(
        letter.pdf,
        as_attachment=True,
        filename=f"surat-{letter.number.replace('/', '-')}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
