"""Error reports to ADMINS by email (SECURITY.md A5): never a NIK, KK number or phone number.

Two layers. ``PortalExceptionReporterFilter`` (DEFAULT_EXCEPTION_REPORTER_FILTER) hides the POST
fields that hold personal data by name and any value shaped like one, and the local variables
of each frame likewise; ``ScrubbedAdminEmailHandler`` then scrubs the finished subject and text
again, since a NIK can also travel in an exception's message (a database error quoting the row),
a query string or a header.
"""

from __future__ import annotations

import re

from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter

MASK = "[disaring]"
# 16 digits (NIK, KK number), also typed in groups ("3271 0145 0190 0002").
_NIK = r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)"
# Indonesian mobile numbers: 08…, 628…, +62 8…, with or without separators.
_PHONE = r"(?<![\d+])(?:\+62|62|0)[ .-]?8(?:[ .-]?\d){6,12}(?!\d)"
PERSONAL = re.compile(f"{_NIK}|{_PHONE}")
# Form fields (intake, correction, complaint, lookup) that hold personal numbers whatever
# their value looks like.
PERSONAL_FIELDS = re.compile(r"(?:^|_)(?:nik|kk|phone|telepon|hp|wa|token|otp)(?:_|$)", re.I)


def scrub(text: str) -> str:
    return PERSONAL.sub(MASK, text) if text else text


class PortalExceptionReporterFilter(SafeExceptionReporterFilter):
    def get_post_parameters(self, request):
        params = super().get_post_parameters(request)
        if request is None:
            return params
        cleansed = params.copy()
        for key in params:
            values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
            if PERSONAL_FIELDS.search(key) or any(PERSONAL.search(str(v)) for v in values):
                cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, scrub(value) if isinstance(value, str) else _scrubbed(value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


def _scrubbed(value):
    """A frame variable as the report will print it, without personal numbers."""
    text = repr(value)
    return _Printed(scrub(text)) if PERSONAL.search(text) else value


class _Printed(str):
    def __repr__(self) -> str:  # printed as it was, not as a quoted string
        return str(self)


class ScrubbedAdminEmailHandler(AdminEmailHandler):
    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = scrub(kwargs["html_message"])
        super().send_mail(scrub(subject), scrub(message), *args, **kwargs)
