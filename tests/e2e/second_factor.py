"""The second step of a supervisor's or superuser's login in the browser: enroll the
authenticator (reading the key the page shows, as a person types it into the app) or give the
code of the app enrolled before."""

import re
import time
from base64 import b32decode

from django_otp.oath import TOTP

SECOND_STEP = re.compile(r"/masuk/kode/")


def _code(key: bytes, after_step: int = -1) -> str:
    now = int(time.time())
    steps_ahead = max(0, after_step - now // 30 + 1)  # a code is accepted once
    totp = TOTP(key)
    totp.time = now + steps_ahead * 30
    return f"{totp.token():06d}"


def pass_second_factor(page, username: str) -> None:
    """After "Masuk" was clicked: give the code if the portal asks for one."""
    page.wait_for_url(lambda url: "/masuk/" not in url or bool(SECOND_STEP.search(url)))
    if "/masuk/kode/daftar/" in page.url:
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        code = _code(b32decode(secret + "=" * (-len(secret) % 8)))
    elif "/masuk/kode/" in page.url:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        code = _code(device.bin_key, device.last_t)
    else:
        return
    page.get_by_label("Kode 6 angka").fill(code)
    page.get_by_role("button", name=re.compile("^(Lanjut|Aktifkan)$")).click()
    page.wait_for_url(lambda url: not SECOND_STEP.search(url))
