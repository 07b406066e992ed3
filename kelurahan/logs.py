"""Logging: JSON lines in UTC with a request id and a user id, and never a NIK, KK or phone.

- ``RequestIdMiddleware`` (first in MIDDLEWARE) gives every request an id — the proxy's
  ``X-Request-ID`` when it is a plain token, otherwise a new one — sends it back in the
  response, and keeps the request at hand for the log filter.
- ``RequestContextFilter`` adds ``request_id`` and ``user_id`` to every record logged while a
  request is served (``-`` outside one: jobs, commands).
- ``ScrubPersonalDataFilter`` masks NIK/KK-shaped numbers (16 digits) and phone numbers in the
  message, its arguments and string extras, and turns Django's ``request`` extra into its
  scrubbed path, so a NIK typed into a GET address never reaches a log line.
- ``UtcJsonFormatter`` writes one JSON object per line with an ISO 8601 UTC timestamp; CR/LF in
  a username cannot forge a second line (JSON escapes them).
- ``GunicornLogger`` scrubs gunicorn's access and error lines the same way (``gunicorn.conf.py``
  at the project root names it, so every gunicorn started there uses it).
- The security events (logins, failed logins, lockouts) are logged by ``log_security_events``,
  connected in ``KelurahanConfig.ready``, to the ``kelurahan.security`` logger.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

_current_request: ContextVar = ContextVar("current_request", default=None)

# 16 digits in a row (a NIK or a KK number), alone or inside a longer token such as a query
# string; and Indonesian phone numbers (08…, 628…, +62…), with or without separators.
_NIK = re.compile(r"(?<!\d)\d{16}(?!\d)")
_PHONE = re.compile(r"(?<![\w+])(?:\+?62[\s-]?|0)8[\d\- ]{7,14}\d(?!\d)")
NIK_MASK = "[NIK]"
PHONE_MASK = "[TELEPON]"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def scrub(text: str) -> str:
    """``text`` with every NIK/KK-shaped number and phone number masked."""
    return _PHONE.sub(PHONE_MASK, _NIK.sub(NIK_MASK, text))


def current_request_id() -> str:
    request = _current_request.get()
    return getattr(request, "request_id", "-") if request is not None else "-"


class RequestIdMiddleware:
    """Give each request an id (the proxy's, when it sends a plain token) for its log lines."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Kept until the response is closed (request_finished): Django logs a 4xx/5xx after
        # the middleware chain has returned, and that line must carry the id too.
        _current_request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def forget_request(**kwargs) -> None:
    """``request_finished``: lines logged after the response (jobs, the next idle moment)
    belong to no request."""
    _current_request.set(None)


class RequestContextFilter(logging.Filter):
    """Add ``request_id`` and ``user_id`` (never a name, NIK or phone) to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = _current_request.get()
        record.request_id = getattr(request, "request_id", "-") if request is not None else "-"
        # Only a user that authentication already loaded: a log line must not query the
        # database (or recurse into logging) to find out who is asking.
        user = getattr(request, "_cached_user", None) if request is not None else None
        record.user_id = user.pk if user is not None and user.is_authenticated else None
        return True


_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
}


def _scrub_value(value):
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace"))
    if isinstance(value, (int, float, bool)) or value is None:
        # A bare 16-digit int is a NIK too.
        if isinstance(value, int) and not isinstance(value, bool) and _NIK.fullmatch(str(value)):
            return NIK_MASK
        return value
    return scrub(str(value))


class ScrubPersonalDataFilter(logging.Filter):
    """Mask NIK/KK numbers and phone numbers in everything a record will print."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(str(record.msg))
        if isinstance(record.args, dict):
            record.args = {key: _scrub_value(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_scrub_value(value) for value in record.args)
        for name, value in list(vars(record).items()):
            if name in _STANDARD_ATTRS:
                continue
            if name == "request":
                # Django's request loggers pass the request itself: log its scrubbed path only.
                full_path = getattr(value, "get_full_path", None)
                record.request = scrub(full_path() if callable(full_path) else str(value))
            else:
                setattr(record, name, _scrub_value(value))
        # Tracebacks are scrubbed by the formatters (the error mail handler needs exc_info).
        return True


class UtcJsonFormatter(JsonFormatter):
    """One JSON object per line: UTC time with its offset, level, logger, message, context."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, exc_info) -> str:
        # Exception messages may quote what a user typed.
        return scrub(super().formatException(exc_info))

    def add_fields(self, log_record, record, message_dict) -> None:
        super().add_fields(log_record, record, message_dict)
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        log_record["time"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_record.setdefault("request_id", getattr(record, "request_id", "-"))
        log_record.setdefault("user_id", getattr(record, "user_id", None))


class UtcPlainFormatter(logging.Formatter):
    """The human-readable alternative (DJANGO_LOG_FORMAT=plain): UTC times, one line each."""

    converter = staticmethod(lambda seconds: datetime.fromtimestamp(seconds, tz=UTC).timetuple())
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def formatException(self, exc_info) -> str:
        return scrub(super().formatException(exc_info))

    def format(self, record: logging.LogRecord) -> str:
        # Control characters (CR/LF in a username) cannot start a forged line.
        return re.sub(r"[\x00-\x1f\x7f]", "?", super().format(record))


def log_security_events() -> None:
    """Log logins, failed logins and lockouts (with the username, UTC, never a password)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    logger = logging.getLogger("kelurahan.security")

    def client_address(request) -> str:
        if request is None:
            return "-"
        from kelurahan.access import client_ip

        return client_ip(request) or "-"

    def logged_in(sender, request, user, **kwargs):
        logger.info(
            "login",
            extra={"event": "login", "login_user_id": user.pk, "ip": client_address(request)},
        )

    def login_failed(sender, credentials, request=None, **kwargs):
        logger.warning(
            "login failed",
            extra={
                "event": "login_failed",
                "username": str(credentials.get("username", ""))[:150],
                "ip": client_address(request),
            },
        )

    def locked_out(sender, request, username, ip_address, **kwargs):
        logger.warning(
            "lockout",
            extra={"event": "lockout", "username": str(username or "")[:150], "ip": ip_address},
        )

    user_logged_in.connect(logged_in, dispatch_uid="kelurahan.logs.logged_in", weak=False)
    user_login_failed.connect(login_failed, dispatch_uid="kelurahan.logs.login_failed", weak=False)
    user_locked_out.connect(locked_out, dispatch_uid="kelurahan.logs.locked_out", weak=False)

    from django.core.signals import request_finished

    request_finished.connect(forget_request, dispatch_uid="kelurahan.logs.forget_request")


try:  # gunicorn is a dependency of production runs; the portal imports without it too.
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with NIK/KK numbers and phones masked in access and error lines."""

    def atoms(self, resp, req, environ, request_time):
        return {
            key: scrub(value) if isinstance(value, str) else value
            for key, value in super().atoms(resp, req, environ, request_time).items()
        }

    def error(self, msg, *args, **kwargs):
        super().error(scrub(str(msg)), *[_scrub_value(a) for a in args], **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(scrub(str(msg)), *[_scrub_value(a) for a in args], **kwargs)
