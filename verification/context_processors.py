from django.utils.functional import SimpleLazyObject

from kelurahan.access import rt_for
from verification.selectors import pending_count_for_chair


def rt_badge(request):
    """The count badge on an RT chair's menu: requests waiting on them (one query, run only
    when a page prints it and its view did not give the count itself)."""
    user = getattr(request, "user", None)
    if user is None or rt_for(user) is None:
        return {}
    return {"rt_pending_count": SimpleLazyObject(lambda: pending_count_for_chair(user))}
