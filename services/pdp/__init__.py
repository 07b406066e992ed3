"""UU PDP 27/2022 duties of the portal.

- ``export``: everything held about one person (by NIK) as JSON, a PDF and the files
  themselves (``manage.py pdp_export``, the admin action) — access-logged (Pasal 7, 32);
- ``retention``: the retention job: documents of closed cases deleted after
  ``PDP_DOCUMENTS_RETENTION_DAYS``, their personal data replaced after
  ``PDP_ANONYMISE_AFTER_DAYS``; letters' numbers and hashes stay for verification (Pasal 43–44);
- ``breaches``: the breach register's 3 × 24-hour notification clock (Pasal 46).

Apps above services hold personal data about a case too (verification: the Ketua RT's notes,
neighbours' attestations). They add it through ``register_holder`` from their
``AppConfig.ready``, as they add panels to the case page: services never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Holder:
    """Personal data another app keeps about cases.

    ``export(application_ids)`` → ``{application_id: [row dict, …]}`` (labels in Indonesian);
    ``anonymise(application_ids)`` replaces that data and returns the number of rows changed.
    """

    key: str
    label: str
    export: Callable[[list[int]], dict[int, list[dict]]]
    anonymise: Callable[[list[int]], int]


_holders: dict[str, Holder] = {}


def register_holder(holder: Holder) -> None:
    _holders[holder.key] = holder


def holders() -> list[Holder]:
    return list(_holders.values())
