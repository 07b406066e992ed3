"""The retention job (UU PDP Pasal 43–44): personal data kept no longer than needed.

Two stages for a closed case (completed, rejected, cancelled), counted from when it closed:
1. after ``PDP_DOCUMENTS_RETENTION_DAYS``: its files go — documents and their thumbnails,
   the archive bundle, the letters' PDFs. The rows stay (requirement, size, SHA-256), so the
   case's history still shows what was received, and a letter's number, date and hash still
   verify a paper copy at /v/<token>/;
2. after ``PDP_ANONYMISE_AFTER_DAYS``: the applicant's data (name, NIK, KK, phone, email,
   address, answers), notes, messages, linked complaints' contacts and what other apps hold
   (``services.pdp.holders``) are replaced. The access log stays (it holds no personal data).

Idempotent and safe to run twice at once: each batch claims its cases with a conditional
UPDATE (``…_at IS NULL``) before touching them, and files are deleted only after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from services.models import (
    Application,
    ApplicationEvent,
    Attachment,
    Complaint,
    Letter,
    ResidentMessage,
)
from services.pdp import holders

logger = logging.getLogger(__name__)
REMOVED = "[dihapus]"
BATCH = 500


@dataclass(frozen=True)
class RetentionResult:
    files_deleted: int  # cases whose files were deleted
    anonymised: int  # cases whose personal data were replaced


def retention_sweep(now: datetime | None = None) -> RetentionResult:
    now = now or timezone.now()
    files_before = now - timedelta(days=settings.PDP_DOCUMENTS_RETENTION_DAYS)
    data_before = now - timedelta(days=settings.PDP_ANONYMISE_AFTER_DAYS)
    files = _in_batches(
        Application.objects.filter(closed_at__lt=files_before, documents_deleted_at__isnull=True),
        "documents_deleted_at",
        now,
        _delete_files,
    )
    anonymised = _in_batches(
        Application.objects.filter(closed_at__lt=data_before, anonymised_at__isnull=True),
        "anonymised_at",
        now,
        _anonymise,
    )
    if files or anonymised:
        logger.info("retention: files of %d cases deleted, %d cases anonymised", files, anonymised)
    return RetentionResult(files_deleted=files, anonymised=anonymised)


def _in_batches(due, mark: str, now: datetime, work) -> int:
    done = 0
    while True:
        ids = list(due.order_by("closed_at", "pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        with transaction.atomic():
            # Claim with a conditional UPDATE, then work on what this run marked: a second
            # sweep running at the same time (another ``now``) gets none of these.
            Application.objects.filter(pk__in=ids, **{f"{mark}__isnull": True}).update(
                **{mark: now}
            )
            claimed = list(
                Application.objects.filter(pk__in=ids, **{mark: now}).values_list("pk", flat=True)
            )
            work(claimed)
        done += len(claimed)


def _delete_files(ids: list[int]) -> None:
    names: list[tuple[object, str]] = []
    for attachment in Attachment.objects.filter(application_id__in=ids).only("file", "thumbnail"):
        names += [
            (attachment.file.storage, f.name) for f in (attachment.file, attachment.thumbnail) if f
        ]
    for letter in Letter.objects.filter(application_id__in=ids).exclude(pdf="").only("pdf"):
        names.append((letter.pdf.storage, letter.pdf.name))
    for case in Application.objects.filter(pk__in=ids).exclude(bundle="").only("bundle"):
        names.append((case.bundle.storage, case.bundle.name))
    Attachment.objects.filter(application_id__in=ids).update(file="", thumbnail="")
    Letter.objects.filter(application_id__in=ids).update(pdf="")
    Application.objects.filter(pk__in=ids).update(bundle="")
    transaction.on_commit(lambda: _remove(names))


def _remove(names) -> None:
    for storage, name in names:
        storage.delete(name)


def _anonymise(ids: list[int]) -> None:
    Application.objects.filter(pk__in=ids).update(
        applicant_name=REMOVED,
        nik="",
        kk_number="",
        phone="",
        email="",
        address=REMOVED,
        purpose="",
        extra={},
        assisted_by="",
        handed_over_to="",
    )
    # The courier constraint needs an address on courier cases: a placeholder, not the data.
    Application.objects.filter(pk__in=ids).exclude(delivery_address="").update(
        delivery_address=REMOVED
    )
    Attachment.objects.filter(application_id__in=ids).update(original_name="berkas")
    ApplicationEvent.objects.filter(application_id__in=ids).exclude(note="").update(note=REMOVED)
    ResidentMessage.objects.filter(application_id__in=ids).update(recipient="", text=REMOVED)
    Complaint.objects.filter(application_id__in=ids).update(
        contact_name="", contact_phone="", contact_email="", text=REMOVED
    )
    for holder in holders():
        holder.anonymise(ids)
