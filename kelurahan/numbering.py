"""Gap-free, duplicate-free sequences per office (see OfficeCounter)."""

from django.db import IntegrityError, transaction
from django.db.models import F

from kelurahan.models import Office, OfficeCounter


def next_number(*, office: Office, key: str) -> int:
    """Take the next number of ``key`` for ``office``; call inside the transaction that uses it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that uses the number")
    counters = OfficeCounter.objects.filter(office=office, key=key)
    if not counters.update(value=F("value") + 1):
        try:
            with transaction.atomic():
                OfficeCounter.objects.create(office=office, key=key, value=1)
            return 1
        except IntegrityError:
            # Another transaction created the row first; its lock is ours once it commits.
            counters.update(value=F("value") + 1)
    return counters.values_list("value", flat=True).get()
