"""System checks for what pip cannot install: the system libraries WeasyPrint loads."""

import ctypes
import sys

from django.core.checks import Error, register

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
