"""Staff notifications: the bell (in-app), the morning digest, and their emails.

- ``inbox``: ``notify`` (unique per recipient and event key, so a job that runs twice notifies
  once), ``staff_by_office``, ``unread_count``, ``mark_read``;
- ``digest``: ``morning_digest`` (a scheduled job);
- ``mail``: ``send_pending_emails`` (queued by ``notify``).
- ``residents``: the resident's side: ``message_resident`` (the outbox row the workflow writes
  in each step's transaction), ``message_complainant`` (the same for a complaint's reporter),
  ``whatsapp_number``, ``wa_me_link``. Import it from its module:
  it reads ``services.public.status`` (the status link, dates), which this ``__init__`` does not
  load for the staff side.
- ``gateway``: the WhatsApp/SMS backends (``RESIDENT_MESSAGE_BACKEND``: click-to-chat, the
  HTTP gateway, locmem) and their transient/permanent errors;
- ``sending``: the jobs that claim, send and retry the resident's gateway and email messages.

May import: ``kelurahan``, ``services.models``, ``services.jobs`` (``residents`` also
``services.public.status`` and ``complaint_status``, ``services.letters.verify``,
``services.validators``; ``gateway`` Django only). Not ``services.workflow`` or ``services.sla``
(they import us).
"""

from services.notifications.digest import morning_digest
from services.notifications.inbox import mark_read, notify, staff_by_office, unread_count
from services.notifications.mail import send_pending_emails

__all__ = [
    "mark_read",
    "morning_digest",
    "notify",
    "send_pending_emails",
    "staff_by_office",
    "unread_count",
]
