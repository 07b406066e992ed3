"""Two-factor sign-in (SECURITY.md B15): superusers, supervisors and the oversight roles (camat,
city supervisor) give a TOTP code from an authenticator app after their password, on the
portal's login and before the admin.

A user without a device enrolls one on their first login (kelurahan/account_views.py shows
the QR code); a user who lost their phone is reset by a superuser (the user admin's action
deletes the devices, and the next login enrolls a new one). django-otp's TOTP device counts
wrong codes and refuses for a growing delay (OTP_TOTP_THROTTLE_FACTOR), and never accepts a
code twice.
"""

from __future__ import annotations

import logging
from base64 import b32encode
from typing import TYPE_CHECKING

from django.db import transaction
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

from kelurahan.access import portal_role
from kelurahan.models import OversightRole, Role
from kelurahan.prepared import PreparedQuery

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("kelurahan.two_factor")

ROLES_WITH_SECOND_FACTOR = (Role.SUPERVISOR, OversightRole.KECAMATAN, OversightRole.CITY)
DEVICE_NAME = "Aplikasi autentikator"


def needs_second_factor(user: AbstractBaseUser) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or portal_role(user) in ROLES_WITH_SECOND_FACTOR


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user: AbstractBaseUser) -> TOTPDevice:
    """The device being enrolled: the same key on every reload until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_for_typing(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for an app without a camera."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def refusal(device: TOTPDevice) -> str | None:
    """Why the device takes no code right now (too many wrong ones), or None."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    return "Terlalu banyak kode salah. Tunggu sebentar, lalu coba lagi dengan kode yang baru."


@transaction.atomic
def device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Enrollment: the first right code confirms the device (and drops any other unconfirmed)."""
    if not device.verify_token(token):
        logger.warning("second factor: wrong enrollment code for user id %s", device.user_id)
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user_id=device.user_id, confirmed=False).delete()
    logger.info("second factor: device enrolled for user id %s", device.user_id)
    return True


def device_verify(*, device: TOTPDevice, token: str) -> bool:
    """A login's code; django-otp refuses a code used before and counts wrong ones."""
    if device.verify_token(token):
        logger.info("second factor: verified user id %s", device.user_id)
        return True
    logger.warning("second factor: wrong code for user id %s", device.user_id)
    return False


def devices_reset(*, users, by) -> int:
    """A superuser's reset for a lost phone: the next login enrolls a new device."""
    ids = sorted(user.pk for user in users)
    count, _ = TOTPDevice.objects.filter(user_id__in=ids).delete()
    logger.warning("second factor: devices of user ids %s reset by user id %s", ids, by.pk)
    return count


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// address as a QR code, drawn here (segno): nothing is fetched."""
    import segno

    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


# The session's TOTP device, read on every request of a verified supervisor (the dashboard,
# the charts): SQL compiled once per connection (kelurahan.prepared), as the session's user.
_DEVICE_PLACEHOLDER = -1_987_654_321
_totp_device = PreparedQuery(
    TOTPDevice, lambda pk: TOTPDevice.objects.filter(pk=pk), pk=_DEVICE_PLACEHOLDER
)
TOTP_LABEL = TOTPDevice.model_label()


class PortalOTPMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.is_verified()``, ``user.otp_device``) reading
    the session's TOTP device by the prepared read; any other persistent id (another device
    type, a malformed one) is read by django-otp as before. django-otp still checks that the
    device is the user's and confirmed, and forgets it from the session otherwise."""

    def _device_from_persistent_id(self, persistent_id: str):
        label, _, device_id = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label == TOTP_LABEL and device_id.isascii() and device_id.isdigit():
            pk = int(device_id)
            if 0 < pk < 2**31:  # in every backend's integer range, as the ORM would check
                return _totp_device.first(pk=pk)
        return super()._device_from_persistent_id(persistent_id)
