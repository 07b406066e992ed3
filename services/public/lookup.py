"""The public lookup: reference code + last 4 digits of the phone -> the status link.

Four digits are 10,000 guesses, so wrong answers are counted (kelurahan.ratelimit, the portal's
one rate-limit mechanism, on Django's cache) per reference code and per client address: after
``LOOKUP_CODE_FAILURES`` (5) wrong tries a code is locked for ``LOOKUP_LOCK_MINUTES`` (15), after
``LOOKUP_ADDRESS_FAILURES`` (20) an address is. A lock refuses even the right answer until it
opens. The code's counter and lock do not depend on whether the code exists, and every refusal
reads the same either way: the lookup tells nobody which codes are real.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from kelurahan import ratelimit
from kelurahan.access import client_ip
from services.models import Application


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def code_failures() -> int:
    return _setting("LOOKUP_CODE_FAILURES", 5)


def address_failures() -> int:
    return _setting("LOOKUP_ADDRESS_FAILURES", 20)


def lock_seconds() -> int:
    return 60 * _setting("LOOKUP_LOCK_MINUTES", 15)


class LookupForm(forms.Form):
    code = forms.CharField(
        label="Kode permohonan",
        max_length=24,
        help_text="Tertulis di tanda terima, mis. BKS-2611-0042.",
        error_messages={"required": "Tulis kode permohonan dari tanda terima."},
    )
    phone_last4 = forms.RegexField(
        label="4 angka terakhir nomor WhatsApp/telepon pemohon",
        regex=r"^\d{4}$",
        max_length=4,
        min_length=4,
        error_messages={
            "required": "Tulis 4 angka terakhir nomor telepon pemohon.",
            "invalid": "Tulis tepat 4 angka, mis. 7890.",
            "min_length": "Tulis tepat 4 angka, mis. 7890.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        )
        self.fields["phone_last4"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "pattern": r"\d{4}"}
        )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


@dataclass(frozen=True)
class LookupResult:
    token: str = ""  # the status token when the answer was right
    message: str = ""  # why not, in Indonesian
    locked: bool = False


def _locked_until(kind: str, value: str) -> datetime | None:
    return ratelimit.locked_until(f"lacak-{kind}", value)


def _count_failure(kind: str, value: str, limit: int) -> tuple[int, datetime | None]:
    """One more wrong answer; (tries left, the lock's end when this one locked it)."""
    return ratelimit.record_failure(f"lacak-{kind}", value, limit=limit, seconds=lock_seconds())


def _clock(when: datetime) -> str:
    return f"{timezone.localtime(when):%H.%M} WIB"


def code_locked_message(code: str, until: datetime) -> str:
    minutes = lock_seconds() // 60
    return (
        f"Sudah {code_failures()} kali salah untuk kode {code}. Demi keamanan, kode ini dikunci "
        f"{minutes} menit, sampai pukul {_clock(until)}. Coba lagi setelah itu, atau tanyakan "
        "langsung ke kantor kelurahan."
    )


def address_locked_message(until: datetime) -> str:
    return (
        "Terlalu banyak percobaan yang salah dari perangkat atau jaringan ini. Coba lagi "
        f"setelah pukul {_clock(until)}, atau tanyakan langsung ke kantor kelurahan."
    )


def phone_last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def lookup(request, *, code: str, last4: str) -> LookupResult:
    address = client_ip(request) or "unknown"
    until = _locked_until("ip", address)
    if until is not None:
        return LookupResult(message=address_locked_message(until), locked=True)
    until = _locked_until("code", code)
    if until is not None:
        return LookupResult(message=code_locked_message(code, until), locked=True)

    found = Application.objects.filter(code=code).values_list("status_token", "phone").first()
    # Compared even when the code does not exist, so both take the same path.
    token, phone = found or ("", "")
    if constant_time_compare(phone_last4(phone), last4) and token:
        ratelimit.forget_failures("lacak-code", code)
        return LookupResult(token=token)

    _, address_until = _count_failure("ip", address, address_failures())
    left, code_until = _count_failure("code", code, code_failures())
    if code_until is not None:
        return LookupResult(message=code_locked_message(code, code_until), locked=True)
    if address_until is not None:
        return LookupResult(message=address_locked_message(address_until), locked=True)
    return LookupResult(
        message=(
            "Kode permohonan atau 4 angka terakhir nomor telepon tidak cocok. Periksa lagi "
            f"tanda terima Anda. Sisa percobaan untuk kode ini: {left} kali; setelah itu kode "
            f"dikunci {lock_seconds() // 60} menit."
        )
    )
