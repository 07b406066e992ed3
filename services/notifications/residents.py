"""The resident's side of notifications: the outbox the workflow writes at each step.

``message_resident(application, step, **facts)`` is called by the workflow inside the step's
transaction (so a refused or failed step leaves no message): it fills the step's
``MessageTemplate`` with the case's facts and stores one ``ResidentMessage`` per channel the
applicant can be reached on — for a mobile number a ``gateway`` row when a gateway backend
sends automatically (``RESIDENT_MESSAGE_BACKEND``), else a click-to-chat ``whatsapp`` row;
an ``email`` row when an address was given. Sending is not done here: WhatsApp rows wait for
the officer's click (``wa_me_link``); gateway and email rows are queued, after the step
commits, for the sending job (``services.notifications.sending``).

``follow_contact_correction(application, phone=…, email=…)`` moves the unsent messages to a
corrected phone number or address (or drops them when there is none any more).

``message_complainant(complaint, step, **facts)`` does the same for a complaint's reporter
(services.complaints): its code, status link, kind, deadline and the office's answer
(``{jawaban}``) or reason; an anonymous report gets nothing.

The placeholders reach only what the status page may show (code, service, masked name, the
status link, what is missing, the reason, the promised date, how the letter is received, the
office); any 16-digit number typed into a reason is masked, so no NIK or KK number is sent.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.utils import timezone

from services import jobs
from services.letters.verify import masked_name
from services.models import (
    PLACEHOLDERS,
    Application,
    Delivery,
    MessageChannel,
    MessageState,
    MessageTemplate,
    ResidentMessage,
)
from services.models.messages import AUTOMATIC_CHANNELS, PLACEHOLDER
from services.notifications.gateway import gateway_enabled
from services.public.status import day_date_id, status_link, survey_link
from services.validators import mask_nik, normalize_phone

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
MOBILE = re.compile(r"628\d{7,11}")


def whatsapp_number(phone: str) -> str:
    """08…, +62 8…, 62 8… → 628…; empty when it is not an Indonesian mobile number (a
    landline has no WhatsApp)."""
    try:
        number = normalize_phone(phone).lstrip("+")
    except ValidationError:
        return ""
    return number if MOBILE.fullmatch(number) else ""


def wa_me_link(message: ResidentMessage) -> str:
    """The click-to-chat link: opens WhatsApp with the text typed, the officer presses send."""
    return f"https://wa.me/{message.recipient}?text={quote(message.text, safe='')}"


def _handover_text(case: Application) -> str:
    if case.delivery == Delivery.COURIER:
        return "Surat akan dikirim lewat kurir ke alamat pengiriman Anda."
    if case.delivery == Delivery.ELECTRONIC:
        return (
            "Silakan unduh surat (PDF) sendiri lewat tautan status permohonan Anda; tidak perlu "
            "datang ke kantor kelurahan."
        )
    return (
        "Silakan ambil di kantor kelurahan pada jam buka dengan membawa KTP asli dan tanda "
        "terima (atau sebutkan kode permohonan)."
    )


def facts_for(case: Application, **facts: str) -> dict[str, str]:
    """Every placeholder's value for this case; ``facts`` (kurang, alasan) from the step."""
    values = {
        "kode": case.code,
        "layanan": case.service.name,
        "nama": masked_name(case.applicant_name),
        "tautan": status_link(case),
        "kurang": "",
        "alasan": "",
        "perkiraan_selesai": day_date_id(case.issue_due) if case.issue_due else "",
        "pengambilan": _handover_text(case),
        "kantor": case.office.name,
        "survei": survey_link(case),
    }
    values.update({key: str(value) for key, value in facts.items() if key in PLACEHOLDERS})
    return values


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders (plain substitution: no format spec, no attribute access)
    and mask any 16-digit number a reason may carry."""
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    return SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group(0)), text).strip()


def message_resident(application: Application, step: str, **facts: str) -> list[ResidentMessage]:
    """Store the step's message for each channel the applicant has; call it inside the step's
    transaction. No template (or an inactive one), no channel: no message."""
    return _write(
        step,
        lambda: facts_for(application, **facts),
        phone=application.phone,
        email=application.email,
        office_id=application.office_id,
        application=application,
    )


def _write(step: str, values, *, phone: str, email: str, **owner) -> list[ResidentMessage]:
    """One row per channel (``phone_channel()`` for a mobile number, email for an address) of
    the step's template filled with ``values()``; ``owner`` is the office and the application
    or complaint. Automatic rows are due now and queued after commit."""
    template = MessageTemplate.objects.filter(step=step, active=True).first()
    if template is None:
        return []
    recipients = []
    if number := whatsapp_number(phone):
        recipients.append((phone_channel(), number))
    if email:
        recipients.append((MessageChannel.EMAIL, email))
    if not recipients:
        return []
    text = render_text(template.text, values())
    now = timezone.now()
    rows = ResidentMessage.objects.bulk_create(
        ResidentMessage(
            **owner,
            step=step,
            channel=channel,
            recipient=recipient,
            text=text,
            created_at=now,
            next_attempt_at=now if channel in AUTOMATIC_CHANNELS else None,
        )
        for channel, recipient in recipients
    )
    queue_sending(rows)
    return rows


def phone_channel() -> str:
    """Mobile numbers go to the gateway when one sends automatically, else to click-to-chat."""
    return MessageChannel.GATEWAY if gateway_enabled() else MessageChannel.WHATSAPP


def queue_sending(rows: list[ResidentMessage]) -> None:
    """Queue the sending job for each automatic row once the step commits (a lost job is
    picked up by the scheduled sender, since the row stays due). Code that writes its own
    ``ResidentMessage`` rows (e.g. a complaint's answer) picks the phone's channel with
    ``phone_channel()``, sets ``next_attempt_at`` on gateway/email rows and calls this."""
    _queue_uuids([row.uuid for row in rows if row.channel in AUTOMATIC_CHANNELS])


def _queue_uuids(uuids) -> None:
    if uuids:
        jobs.enqueue_after_commit(jobs.SEND_RESIDENT_MESSAGES, [str(u) for u in uuids])


# The rows a corrected contact still concerns: not sent, not dropped.
UNSENT = (MessageState.PENDING, MessageState.FAILED)
PHONE_CHANNELS = (MessageChannel.WHATSAPP, MessageChannel.GATEWAY)


def follow_contact_correction(
    application: Application, *, phone: str | None = None, email: str | None = None
) -> str:
    """The officer corrected the phone (``phone``) or email (``email``): the case's unsent
    messages of that channel follow. Pending and failed rows get the new recipient (a failed
    one pending again, with fresh attempts; automatic ones due now and queued); when the new
    phone is no mobile number, or the email was removed, they are dropped (state
    ``dropped``, with the reason). Call it in the correction's transaction. Returns a
    sentence for the correction's history ("" when no message was waiting)."""
    parts = []
    if phone is not None:
        parts.append(_follow(application, PHONE_CHANNELS, whatsapp_number(phone), "nomor"))
    if email is not None:
        parts.append(_follow(application, (MessageChannel.EMAIL,), email, "alamat email"))
    return " ".join(part for part in parts if part)


def _follow(application: Application, channels, new: str, what: str) -> str:
    rows = ResidentMessage.objects.filter(
        application=application, channel__in=channels, state__in=UNSENT
    )
    if not new:
        why = "bukan nomor ponsel" if what == "nomor" else "kosong"
        dropped = rows.update(
            state=MessageState.DROPPED,
            next_attempt_at=None,
            last_error=f"Tidak dikirim: {what} pemohon dikoreksi ({why}).",
        )
        return f"{dropped} pesan yang belum terkirim batal dikirim ({why})." if dropped else ""
    moved = list(rows.values_list("uuid", "channel"))
    # A failed row starts its attempts again. A pending one keeps its count: a worker may be
    # sending it right now, and the count is what tells that worker's outcome apart.
    rows.filter(state=MessageState.FAILED).update(state=MessageState.PENDING, attempts=0)
    rows.update(recipient=new, last_error="")
    rows.filter(channel__in=AUTOMATIC_CHANNELS).update(next_attempt_at=timezone.now())
    _queue_uuids([u for u, channel in moved if channel in AUTOMATIC_CHANNELS])
    return f"{len(moved)} pesan yang belum terkirim dialihkan ke {what} baru." if moved else ""


def complaint_facts(complaint, **facts: str) -> dict[str, str]:
    """Every placeholder's value for a complaint; ``facts`` (alasan, jawaban) from the step.

    Only what the complaint's status page shows: its code, the link, the office, the
    deadline it works to; nothing of an application it names."""
    from services.public.complaint_status import complaint_link

    due = complaint.answer_due or complaint.verify_due
    values = dict.fromkeys(PLACEHOLDERS, "")
    values.update(
        kode=complaint.code,
        layanan=complaint.get_kind_display(),
        nama=masked_name(complaint.contact_name),
        tautan=complaint_link(complaint),
        perkiraan_selesai=day_date_id(due) if due else "",
        kantor=complaint.office.name,
    )
    values.update({key: str(value) for key, value in facts.items() if key in PLACEHOLDERS})
    return values


def message_complainant(complaint, step: str, **facts: str) -> list[ResidentMessage]:
    """Like ``message_resident``, for a complaint's reporter: one row per channel they left
    (the phone's channel for a mobile number, email); an anonymous report gets none."""
    return _write(
        step,
        lambda: complaint_facts(complaint, **facts),
        phone=complaint.contact_phone,
        email=complaint.contact_email,
        office_id=complaint.office_id,
        complaint=complaint,
    )
