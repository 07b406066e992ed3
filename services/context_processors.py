from kelurahan.access import membership_for
from services.notifications import unread_count


def bell(request):
    """The bell's unread count for every member of an office (one query)."""
    user = getattr(request, "user", None)
    if user is None or membership_for(user) is None:
        return {}
    return {"unread_notifications": unread_count(user)}
