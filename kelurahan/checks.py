"""System checks: the system libraries WeasyPrint loads (pip cannot install them), SITE_URL."""

import ctypes
import sys
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator

# The shared objects WeasyPrint opens at import (weasyprint/text/ffi.py) and the Debian
# package that ships each. Loading them with ctypes is cheap; importing WeasyPrint is not.
WEASYPRINT_LIBRARIES = {
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libpango-1.0.so.0": "libpango-1.0-0",
    "libpangoft2-1.0.so.0": "libpangoft2-1.0-0",
    "libharfbuzz.so.0": "libharfbuzz0b",
    "libfontconfig.so.1": "libfontconfig1",
}


def missing_weasyprint_packages() -> list[str]:
    missing = []
    for soname, package in WEASYPRINT_LIBRARIES.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(package)
    return missing


@register()
def weasyprint_libraries(app_configs, **kwargs):
    if not sys.platform.startswith("linux"):
        return []
    missing = missing_weasyprint_packages()
    if not missing:
        return []
    return [
        Error(
            "WeasyPrint cannot render letters: system libraries are missing.",
            hint=f"Install them: apt-get install -y {' '.join(missing)}",
            id="kelurahan.E001",
        )
    ]


# --- SITE_URL (SECURITY.md J66) -------------------------------------------------------------
# Letters print SITE_URL into their QR codes and an issued PDF is never re-rendered, so a
# production start with the development default (http://127.0.0.1:8000) would put a dead link
# on every letter for good. The check runs for `check`, `check --deploy`, `migrate`,
# `runserver` and `qcluster` (every command that runs the system checks); the WSGI/ASGI entry
# points call refuse_to_start() because gunicorn runs no system checks.
def site_url_problems(*, debug: bool, site_url: str) -> list[Error | Warning]:
    if not site_url:
        if debug:
            return []
        return [
            Error(
                "SITE_URL is not set: letters would print a QR code to no public address.",
                hint="Set SITE_URL to the portal's public address, e.g. "
                "SITE_URL=https://layanan.kelurahan.example (production, DJANGO_DEBUG=0).",
                id="kelurahan.E002",
            )
        ]
    parts = urlsplit(site_url)
    try:
        URLValidator(schemes=["http", "https"])(site_url)
        valid = not (parts.query or parts.fragment or parts.username or parts.password)
    except ValidationError:
        valid = False
    if not valid:
        return [
            Error(
                f"SITE_URL={site_url!r} is not an absolute http(s) address.",
                hint="Use the scheme and host (and an optional path prefix), with no query "
                "or fragment, e.g. https://layanan.kelurahan.example",
                id="kelurahan.E003",
            )
        ]
    if not debug and parts.scheme != "https":
        return [
            Warning(
                f"SITE_URL={site_url!r} uses http: letters' QR codes will open without TLS.",
                hint="Serve the portal over https and set SITE_URL to its https:// address.",
                id="kelurahan.W004",
            )
        ]
    return []


@register()
def site_url(app_configs, **kwargs):
    return site_url_problems(debug=settings.DEBUG, site_url=settings.SITE_URL)


def refuse_to_start() -> None:
    """Stop a WSGI/ASGI server (gunicorn runs no system checks) on a SITE_URL error."""
    errors = [p for p in site_url(None) if p.is_serious()]
    if errors:
        raise ImproperlyConfigured(" ".join(f"{e.id}: {e.msg} {e.hint}" for e in errors))
