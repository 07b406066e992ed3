"""Gateway backends for the resident's WhatsApp/SMS messages, chosen like Django's email
backends by a dotted path in ``RESIDENT_MESSAGE_BACKEND``.

A backend's ``send(message)`` delivers one ``ResidentMessage`` and returns the provider's
reference, or raises ``TransientSendError`` (try again later: 5xx, timeout, refused
connection) or ``PermanentSendError`` (do not retry: 4xx, a bad configuration). ``automatic``
says whether the backend sends by itself: ``message_resident`` then writes ``gateway`` rows
for mobile numbers, else click-to-chat ``whatsapp`` rows that wait for the officer.

- ``ClickToChatBackend`` (the default): sends nothing; the officer's click does.
- ``HttpGatewayBackend``: POSTs JSON to ``RESIDENT_GATEWAY_URL`` with a Bearer token
  (standard library ``urllib``; no redirect followed, http(s) only, a timeout).
- ``LocmemBackend``: keeps what it "sent" in ``outbox`` (tests, demos).

Nothing here logs the token, and nothing logs a message's text or its full phone number.

May import: Django only (the caller passes the message).
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import urllib.error
import urllib.request
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from services.models import ResidentMessage

log = logging.getLogger(__name__)

LONG_NUMBER = re.compile(r"\d{6,}")
MAX_RESPONSE = 64 * 1024  # the provider answers with a short JSON document


class SendError(Exception):
    """Sending failed; ``str(error)`` is safe to store and show (no token, no full number)."""


class TransientSendError(SendError):
    """Try again later (the provider is down, slow or unreachable)."""


class PermanentSendError(SendError):
    """Trying again will not help (the provider refused this message or our credentials)."""


def mask_number(number: str) -> str:
    """628123456789 → 6281******89: enough to tell messages apart in a log, not to call."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def safe_snippet(text: str, secret: str = "", limit: int = 120) -> str:
    """A provider's error body cut short, with the token and long numbers masked."""
    if secret:
        text = text.replace(secret, "***")
    text = LONG_NUMBER.sub(lambda m: mask_number(m.group(0)), " ".join(text.split()))
    return text[:limit]


class BaseMessageBackend:
    automatic = True

    def send(self, message: ResidentMessage) -> str:
        raise NotImplementedError


class ClickToChatBackend(BaseMessageBackend):
    """No provider: WhatsApp messages wait for the officer's click (wa.me)."""

    automatic = False

    def send(self, message: ResidentMessage) -> str:
        raise PermanentSendError("Tidak ada gateway: kirim lewat WhatsApp petugas.")


# What LocmemBackend has sent: dicts of recipient, text, reference (like mail.outbox).
outbox: list[dict[str, str]] = []


class LocmemBackend(BaseMessageBackend):
    def send(self, message: ResidentMessage) -> str:
        outbox.append(
            {"recipient": message.recipient, "text": message.text, "reference": str(message.uuid)}
        )
        return f"locmem-{len(outbox)}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A gateway answers; it does not send us elsewhere (and never to an internal address)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx code


class HttpGatewayBackend(BaseMessageBackend):
    """POST ``{"to", "text", "template", "reference"}`` as JSON with ``Authorization: Bearer``.

    ``reference`` (the message's uuid, also sent as ``Idempotency-Key``) lets the provider
    drop a repeat: a worker that dies after the provider accepted a message sends it again.
    2xx → sent (the provider's ``id``/``message_id`` in the answer, else our reference); 5xx,
    timeout, refused connection → transient; any other status (4xx, 3xx) → permanent.
    """

    def __init__(self, url=None, token=None, template=None, timeout=None):
        self.url = url if url is not None else settings.RESIDENT_GATEWAY_URL
        self.token = token if token is not None else settings.RESIDENT_GATEWAY_TOKEN
        self.template = template if template is not None else settings.RESIDENT_GATEWAY_TEMPLATE
        self.timeout = timeout if timeout is not None else settings.RESIDENT_GATEWAY_TIMEOUT
        if not str(self.url).startswith(("https://", "http://")):
            raise ImproperlyConfigured("RESIDENT_GATEWAY_URL must be an http(s):// address.")
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request_for(self, message: ResidentMessage) -> urllib.request.Request:
        body = {
            "to": message.recipient,
            "text": message.text,
            "template": self.template,
            "reference": str(message.uuid),
        }
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "Idempotency-Key": str(message.uuid),
            "User-Agent": "layanan-kelurahan",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The URL is the setting's, checked to be http(s) in __init__ (no file: or ftp:).
        return urllib.request.Request(  # noqa: S310
            self.url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )

    def send(self, message: ResidentMessage) -> str:
        request = self.request_for(message)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                answer = response.read(MAX_RESPONSE)
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(2048).decode("utf-8", "replace")
            except (OSError, AttributeError, http.client.HTTPException):
                body = ""
            detail = safe_snippet(body, self.token)
            error = f"Gateway menjawab HTTP {exc.code}" + (f": {detail}" if detail else ".")
            if exc.code >= 500 or exc.code in (408, 429):
                raise TransientSendError(error) from None
            raise PermanentSendError(error) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                error = f"Gateway tidak menjawab dalam {self.timeout:g} detik."
            else:
                error = f"Gateway tidak dapat dihubungi ({type(reason).__name__})."
            raise TransientSendError(error) from None
        return self._reference(answer) or str(message.uuid)

    @staticmethod
    def _reference(answer: bytes) -> str:
        try:
            data = json.loads(answer or b"{}")
        except ValueError:
            return ""
        if not isinstance(data, dict):
            return ""
        value = data.get("id") or data.get("message_id") or data.get("reference") or ""
        return str(value)[:200]


def backend_class() -> type[BaseMessageBackend]:
    return import_string(settings.RESIDENT_MESSAGE_BACKEND)


def gateway_enabled() -> bool:
    """Does the configured backend send by itself (so mobile numbers get ``gateway`` rows)?

    A backend path that does not import must not break the workflow step that writes the
    message: it is logged and the message waits for click-to-chat.
    """
    try:
        return bool(backend_class().automatic)
    except ImportError:
        log.error("RESIDENT_MESSAGE_BACKEND does not import; messages wait for click-to-chat")
        return False


def get_backend() -> BaseMessageBackend:
    return backend_class()()
