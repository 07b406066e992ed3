"""The resident's side of notifications: the outbox the workflow writes at each step.

``message_resident(application, step, **facts)`` is called by the workflow inside the step's
transaction (so a refused or failed step leaves no message): it fills the step's
``MessageTemplate`` with the case's facts and stores one ``ResidentMessage`` per channel the
applicant can be reached on — WhatsApp when the phone is a mobile number, email when an
address was given. Sending is not done here: WhatsApp messages wait for the officer's click
(``wa_me_link``), email and gateway sending are jobs of their own.

The placeholders reach only what the status page may show (code, service, masked name, the
status link, what is missing, the reason, the promised date, how the letter is received, the
office); any 16-digit number typed into a reason is masked, so no NIK or KK number is sent.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.core.exceptions import ValidationError

from services.letters.verify import masked_name
from services.models import (
    PLACEHOLDERS,
    Application,
    Delivery,
    MessageChannel,
    MessageTemplate,
    ResidentMessage,
)
from services.models.messages import PLACEHOLDER
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
    template = MessageTemplate.objects.filter(step=step, active=True).first()
    if template is None:
        return []
    recipients = []
    if number := whatsapp_number(application.phone):
        recipients.append((MessageChannel.WHATSAPP, number))
    if application.email:
        recipients.append((MessageChannel.EMAIL, application.email))
    if not recipients:
        return []
    text = render_text(template.text, facts_for(application, **facts))
    return ResidentMessage.objects.bulk_create(
        ResidentMessage(
            office_id=application.office_id,
            application=application,
            step=step,
            channel=channel,
            recipient=recipient,
            text=text,
        )
        for channel, recipient in recipients
    )
