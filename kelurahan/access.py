"""Who is who: the acting user's office, role and RT, and the 404 for everyone else."""

from __future__ import annotations

import ipaddress
from functools import lru_cache, wraps
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import Http404

from kelurahan.models import RT, Membership, Office, Oversight, OversightRole, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

STAFF_ROLES = (Role.OFFICER, Role.SUPERVISOR)
OVERSIGHT_ROLES = (OversightRole.KECAMATAN, OversightRole.CITY)


def membership_for(user: AbstractBaseUser) -> Membership | None:
    """The user's membership with its office and RT, in one query, cached on the user."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_portal_membership"):
        user._portal_membership = (
            Membership.objects.select_related("office", "rt__rw").filter(user=user).first()
        )
    return user._portal_membership


def office_for(user: AbstractBaseUser) -> Office | None:
    membership = membership_for(user)
    return membership.office if membership else None


def role_for(user: AbstractBaseUser) -> str | None:
    membership = membership_for(user)
    return membership.role if membership else None


def rt_for(user: AbstractBaseUser) -> RT | None:
    membership = membership_for(user)
    return membership.rt if membership and membership.role == Role.RT_CHAIR else None


def oversight_for(user: AbstractBaseUser) -> Oversight | None:
    """The user's oversight row (camat, city supervisor) with its kecamatan, cached on the
    user; None for everyone else. A member of an office has none (they exclude each other),
    so their requests never pay this query."""
    if user is None or not user.is_authenticated or membership_for(user) is not None:
        return None
    if not hasattr(user, "_portal_oversight"):
        user._portal_oversight = (
            Oversight.objects.select_related("kecamatan").filter(user=user).first()
        )
    return user._portal_oversight


def portal_role(user: AbstractBaseUser) -> str | None:
    """The user's role in an office or in oversight (the second factor asks by this one).

    ``role_for`` stays the office role only: every office and RT page checks that one, so an
    oversight user passes none of them.
    """
    oversight = oversight_for(user)
    return oversight.role if oversight else role_for(user)


def overseen_offices(user: AbstractBaseUser):
    """The offices ``user`` oversees (a camat: their kecamatan's; a city supervisor: their
    city's), with their kecamatan; no office for anyone else."""
    oversight = oversight_for(user)
    offices = Office.objects.select_related("kecamatan_ref")
    if oversight is None:
        return offices.none()
    if oversight.role == OversightRole.KECAMATAN:
        return offices.filter(kecamatan_ref_id=oversight.kecamatan_id)
    return offices.filter(kecamatan_ref__city=oversight.city)


def overseen_office(user: AbstractBaseUser, code: str) -> Office:
    """The office ``code`` if ``user`` oversees it, else 404 (out of scope, another role)."""
    office = overseen_offices(user).filter(code=code).first()
    if office is None:
        raise Http404("Halaman tidak ditemukan.")
    return office


def oversight_required(view):
    """Let only camat and city supervisors in; anyone else gets a 404, never the page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if oversight_for(request.user) is None:
            raise Http404("Halaman tidak ditemukan.")
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*roles: str):
    """Let only members with one of ``roles`` in; anyone else gets a 404, never the page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if role_for(request.user) not in roles:
                raise Http404("Halaman tidak ditemukan.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


staff_required = role_required(*STAFF_ROLES)
supervisor_required = role_required(Role.SUPERVISOR)


def _trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted_proxy_networks())


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def trusted_proxy_networks() -> tuple:
    return _networks(tuple(settings.TRUSTED_PROXIES))


def supervised_office(user: AbstractBaseUser, code: str) -> Office:
    """The office ``code`` if ``user`` supervises it, else 404 (another office, another role).

    A supervisor supervises their own office only; the camat's and the city's read-only
    pages scope by ``overseen_office`` instead.
    """
    membership = membership_for(user)
    if membership is None or membership.role != Role.SUPERVISOR or membership.office.code != code:
        raise Http404("Halaman tidak ditemukan.")
    return membership.office


def client_ip(request) -> str | None:
    """The client's address: the one function behind axes, every rate limit and the logs.

    ``X-Forwarded-For`` is read only when the connection itself comes from a trusted proxy
    (``TRUSTED_PROXIES``): a client that reaches the app port directly cannot pick its address
    by sending the header. Behind ``TRUSTED_PROXY_COUNT`` proxies that each append the address
    they saw (nginx's ``$proxy_add_x_forwarded_for``), the client is the N-th entry from the
    right; anything left of it may be forged by the client.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if not hops or not remote or not _trusted_proxy(remote):
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [part for part in chain if part]
    if len(chain) < hops:
        return remote
    candidate = chain[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # not an address: the header was not written by our proxy
        return remote
