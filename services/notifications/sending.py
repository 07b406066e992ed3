"""Sending the resident's gateway and email messages: claim one, send it, record the outcome.

- ``send_resident_messages(uuids)``: the job queued after the step that wrote the messages
  commits (``send_resident_message(pk)`` tries one);
- ``send_due_resident_messages()``: the scheduled job (every minute) that sends every row
  whose ``next_attempt_at`` has come: retries after a temporary error, and rows whose job was
  lost (a worker killed mid-send: the claim lapses after ``LEASE``).

A row is claimed by one conditional UPDATE (still pending, due now → due again only after
the lease, one more attempt), so two workers never send it at once; the outcome is written
only if the row still carries that attempt (a worker that outlived its lease changes nothing).
A temporary error (``TransientSendError``) sets the next try with a doubling delay; the last
attempt, or a permanent error, marks the row failed, and the officer's "Pesan belum terkirim"
page then offers click-to-chat. Gateway rows go through the configured backend
(``gateway.get_backend()``), email rows through Django's ``send_mail`` (``EMAIL_BACKEND``).

Logs name a message by its uuid and a masked number; never the text, the token or the
address in full.

May import: ``services.models``, ``services.notifications.gateway``.
"""

from __future__ import annotations

import logging
import smtplib
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import BadHeaderError, send_mail
from django.db.models import F
from django.utils import timezone

from services.models import (
    Application,
    ApplicationEvent,
    MessageChannel,
    MessageState,
    ResidentMessage,
)
from services.models.messages import AUTOMATIC_CHANNELS
from services.notifications.gateway import (
    PermanentSendError,
    SendError,
    TransientSendError,
    get_backend,
    mask_number,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than any one send (gateway and SMTP timeouts)
MAX_DELAY = timedelta(hours=1)
BATCH = 100
TIME_BUDGET = 50.0  # seconds: the minute's run stops taking rows before the next one starts


def retry_delay(attempts: int) -> timedelta:
    """60 s, 120 s, 240 s, … after the 1st, 2nd, 3rd attempt; at most an hour."""
    delay = timedelta(seconds=settings.RESIDENT_MESSAGE_RETRY_SECONDS * 2 ** (attempts - 1))
    return min(delay, MAX_DELAY)


def claim(message_id: int, now: datetime) -> ResidentMessage | None:
    """Take the row for one attempt, or None when it is not due or another worker has it."""
    claimed = ResidentMessage.objects.filter(
        pk=message_id,
        state=MessageState.PENDING,
        channel__in=AUTOMATIC_CHANNELS,
        next_attempt_at__lte=now,
    ).update(next_attempt_at=now + LEASE, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return ResidentMessage.objects.select_related("application").get(pk=message_id)


def _send_email(message: ResidentMessage) -> str:
    subject = message.step_label
    if message.application is not None:
        subject = f"{subject}: {message.application.code}"
    try:
        send_mail(subject, message.text, None, [message.recipient])
    except smtplib.SMTPRecipientsRefused:
        raise PermanentSendError("Server email menolak alamat penerima.") from None
    except smtplib.SMTPResponseException as exc:
        error = f"Server email menjawab {exc.smtp_code}."
        if 500 <= exc.smtp_code < 600:
            raise PermanentSendError(error) from None
        raise TransientSendError(error) from None
    except BadHeaderError:
        raise PermanentSendError("Alamat atau judul email tidak sah.") from None
    except (smtplib.SMTPException, OSError) as exc:
        error = f"Server email tidak dapat dihubungi ({type(exc).__name__})."
        raise TransientSendError(error) from None
    return ""


def deliver(message: ResidentMessage) -> str:
    """Send one message on its channel; the provider's reference, or a SendError."""
    if message.channel == MessageChannel.EMAIL:
        return _send_email(message)
    return get_backend().send(message)


def _who(message: ResidentMessage) -> str:
    if message.channel == MessageChannel.EMAIL:
        return "email"
    return mask_number(message.recipient)


def _outcome(message: ResidentMessage, **fields) -> bool:
    """Write the attempt's outcome if the row is still ours (pending, this attempt)."""
    return bool(
        ResidentMessage.objects.filter(
            pk=message.pk, state=MessageState.PENDING, attempts=message.attempts
        ).update(**fields)
    )


def _event(message: ResidentMessage, transition: str, note: str) -> None:
    if message.application_id is None:
        return
    state = Application.objects.only("state").get(pk=message.application_id).state
    ApplicationEvent.objects.create(
        application_id=message.application_id,
        by=None,
        transition=transition,
        source=state,
        target=state,
        note=note,
    )


def send_resident_message(message_id: int, now: datetime | None = None) -> bool:
    """Claim the message and try it once; True when it went out."""
    now = now or timezone.now()
    message = claim(message_id, now)
    if message is None:
        return False
    channel = message.get_channel_display()
    try:
        reference = deliver(message)
    except SendError as exc:
        error, permanent = str(exc)[:300], isinstance(exc, PermanentSendError)
    except Exception as exc:  # a backend's own bug: retried, then failed; never the text
        error, permanent = f"Kesalahan tak terduga ({type(exc).__name__}).", False
    else:
        if _outcome(
            message,
            state=MessageState.SENT,
            sent_at=now,
            next_attempt_at=None,
            provider_ref=str(reference or "")[:200],
            last_error="",
        ):
            log.info("resident message %s sent (%s, %s)", message.uuid, channel, _who(message))
            _event(message, "message_sent", f"“{message.step_label}” terkirim lewat {channel}")
        return True
    return _failed(message, now, error, permanent, channel)


def _failed(
    message: ResidentMessage, now: datetime, error: str, permanent: bool, channel: str
) -> bool:
    last = permanent or message.attempts >= settings.RESIDENT_MESSAGE_MAX_ATTEMPTS
    if last:
        fields = {"state": MessageState.FAILED, "next_attempt_at": None}
    else:
        fields = {"next_attempt_at": now + retry_delay(message.attempts)}
    if not _outcome(message, last_error=error, **fields):
        return False
    log.warning(
        "resident message %s attempt %s failed (%s, %s)%s: %s",
        message.uuid,
        message.attempts,
        channel,
        _who(message),
        "; gave up" if last else "; will retry",
        error,
    )
    if last:
        _event(message, "message_failed", f"“{message.step_label}” gagal lewat {channel}: {error}")
    return False


def send_resident_messages(uuids: list[str]) -> int:
    """The job queued by the step that wrote these messages; the number sent."""
    pks = ResidentMessage.objects.filter(uuid__in=uuids).order_by("pk").values_list("pk", flat=True)
    return sum(send_resident_message(pk) for pk in list(pks))


def send_due_resident_messages(now: datetime | None = None, limit: int = BATCH) -> int:
    """Try every due message once (oldest due first); the number sent."""
    now = now or timezone.now()
    started = time.monotonic()
    due = (
        ResidentMessage.objects.filter(next_attempt_at__lte=now, state=MessageState.PENDING)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in list(due):
        if time.monotonic() - started > TIME_BUDGET:
            break
        sent += send_resident_message(pk, now=max(now, timezone.now()))
    return sent
