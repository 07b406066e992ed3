"""The 3-working-day SLA: the working calendar and deadlines, the sweep, the dashboard numbers.

- ``calendar``: ``WorkingCalendar``, ``deadlines(office, received_at)``, ``time_left``;
- ``sweep``: ``sla_sweep(now=None)`` records each passed milestone once and tells people;
- ``bulk``: ``insert_from_select``, the set-based INSERT … SELECT the sweep writes with (only
  the sweep uses it, so it lives beside it);
- ``reports``: ``dashboard_numbers`` for the supervisor's dashboard.

``deadlines``, ``time_left``, ``sla_sweep`` and ``WorkingCalendar`` are importable from
``services.sla`` (the names DESIGN.md fixes). May import: ``kelurahan``, ``services.models``,
``services.jobs``. Not ``services.workflow`` (it imports us).
"""

from services.sla.calendar import (
    DUE_TODAY,
    ON_TIME,
    OVERDUE,
    TimeLeft,
    WorkingCalendar,
    deadlines,
    national_holidays,
    time_left,
)
from services.sla.sweep import sla_sweep

__all__ = [
    "DUE_TODAY",
    "ON_TIME",
    "OVERDUE",
    "TimeLeft",
    "WorkingCalendar",
    "deadlines",
    "national_holidays",
    "sla_sweep",
    "time_left",
]
