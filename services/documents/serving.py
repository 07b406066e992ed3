"""Serving stored documents and the access log: one response builder for every scoped view
that shows a document, and one function that records who viewed whose data (UU PDP)."""

from __future__ import annotations

from django.http import FileResponse, Http404

from services.models import AccessLog, Attachment


def log_access(*, user, application_id: int, action: str, attachment=None) -> AccessLog:
    """One row of the access log: who viewed or downloaded what of whose case (UU PDP)."""
    return AccessLog.objects.create(
        user=user, application_id=application_id, attachment=attachment, action=action
    )


def attachment_response(request, attachment: Attachment, *, thumbnail: bool = False):
    """The file (or its thumbnail), private and never sniffed; a full view is logged."""
    if thumbnail and not attachment.thumbnail:
        raise Http404("Berkas ini tidak punya gambar kecil.")
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not thumbnail:
        log_access(
            user=request.user,
            application_id=attachment.application_id,
            attachment=attachment,
            action="view_document",
        )
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    response = FileResponse(
        stored.open("rb"),
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
