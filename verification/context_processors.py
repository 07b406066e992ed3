from kelurahan.access import rt_for
from verification.selectors import pending_count_for_chair


def rt_badge(request):
    """The count badge on an RT chair's menu: requests waiting on them (one query)."""
    user = getattr(request, "user", None)
    if user is None or rt_for(user) is None:
        return {}
    return {"rt_pending_count": pending_count_for_chair(user)}
