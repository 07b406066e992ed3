"""The supervisor's dashboard: the SLA in a handful of aggregate queries.

Each aggregate reads one office's rows on an index that holds every column it needs (an
index-only count), so its cost follows the office's open cases and this month's deadlines,
never the office's history (README, Performance). They are written in SQL that SQLite and
PostgreSQL read alike, of a fixed text (the ORM took longer to build them than the database to
answer), and prepared on PostgreSQL (kelurahan.prepared.preparing_cursor).
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from kelurahan.prepared import preparing_cursor
from services.models import Milestone
from services.models.cases import OPEN_STATES

# Per milestone (archive, verify, issue): cases due this month, breaches due this month,
# breaches detected this month; each a range count on (office, <milestone>_due), (office,
# due), (office, detected). The parameters: office, month start, now, milestone.
MONTH_SQL = """
SELECT
 (SELECT COUNT(*) FROM services_application
  WHERE office_id = %(office)s AND archive_due >= %(start)s AND archive_due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'archive' AND due >= %(start)s AND due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'archive' AND detected >= %(start)s),
 (SELECT COUNT(*) FROM services_application
  WHERE office_id = %(office)s AND verify_due >= %(start)s AND verify_due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'verify' AND due >= %(start)s AND due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'verify' AND detected >= %(start)s),
 (SELECT COUNT(*) FROM services_application
  WHERE office_id = %(office)s AND issue_due >= %(start)s AND issue_due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'issue' AND due >= %(start)s AND due <= %(now)s),
 (SELECT COUNT(*) FROM services_slabreach WHERE office_id = %(office)s
  AND milestone = 'issue' AND detected >= %(start)s)
"""
MONTH_ORDER = ["archive", "verify", "issue"]  # the order of MONTH_SQL's terms

# Counted per RT on the open cases' (office, state, rt, sent_to_rt_at) index, then joined to
# the few RTs that have any (not each case joined to its RT before grouping).
WAITING_RT_SQL = """
SELECT r.number, w.number, u.first_name, u.last_name, g.n, g.since
FROM (SELECT rt_id, COUNT(*) AS n, MIN(sent_to_rt_at) AS since FROM services_application
      WHERE office_id = %(office)s AND is_open AND state = 'in_verification'
      GROUP BY rt_id) g
JOIN kelurahan_rt r ON r.id = g.rt_id
JOIN kelurahan_rw w ON w.id = r.rw_id
LEFT JOIN auth_user u ON u.id = r.chair_id
ORDER BY g.since, w.number, r.number
"""

# Overdue per state and due later today, on the (office, state, queue_due) index alone: the
# open states listed (not the generated is_open flag), and queue_due counted (never null
# here), not id: COUNT(id) sent PostgreSQL to the table for every open case due (a bitmap
# heap scan, 1,400 pages at 100k cases). The states are the code's constants.
BY_STATE_SQL = f"""
SELECT state,
 COUNT(queue_due) FILTER (WHERE queue_due < %(now)s) AS "overdue",
 COUNT(queue_due) FILTER (WHERE queue_due >= %(now)s) AS "today"
FROM services_application
WHERE office_id = %(office)s AND state IN ({", ".join(f"'{state}'" for state in OPEN_STATES)})
 AND queue_due <= %(day_end)s
GROUP BY state
"""  # noqa: S608 - no value of a request in the text: the states are constants


def _moment(value):
    """A datetime from a raw row (SQLite returns text; the ORM's own converter reads it)."""
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return convert(value, None, connection) if convert and value is not None else value


def dashboard_numbers(office, now) -> dict:
    """The supervisor's view of the SLA in a handful of aggregate queries."""
    local = timezone.localtime(now)
    day_end = local.replace(hour=23, minute=59, second=59, microsecond=0)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    adapt = connection.ops.adapt_datetimefield_value
    params = {
        "office": office.pk,
        "start": adapt(month_start),
        "now": adapt(now),
        "day_end": adapt(day_end),
    }
    # Prepared on PostgreSQL: planning these cost it as much as running them (and building
    # them cost the ORM more than either).
    with preparing_cursor(connection) as cursor:
        cursor.execute(BY_STATE_SQL, params)
        by_state = [
            {"state": state, "overdue": overdue, "today": today}
            for state, overdue, today in cursor.fetchall()
        ]
        cursor.execute(WAITING_RT_SQL, params)
        waiting_rt = [
            {
                "rt__number": rt,
                "rt__rw__number": rw,
                "rt__chair__first_name": first or "",
                "rt__chair__last_name": last or "",
                "n": n,
                "since": _moment(since),
            }
            for rt, rw, first, last, n, since in cursor.fetchall()
        ]
        cursor.execute(MONTH_SQL, params)
        counts = iter(cursor.fetchone())
    overdue_by_state = {row["state"]: row["overdue"] for row in by_state if row["overdue"]}
    month = {m: (next(counts), next(counts), next(counts)) for m in MONTH_ORDER}
    milestones = []
    for milestone in Milestone:
        due, late, breaches = month[milestone.value]
        milestones.append(
            {
                "label": milestone.label,
                "due": due,
                "late": late,
                "breaches": breaches,
                "share": round(100 * (due - late) / due) if due else None,
            }
        )
    return {
        "due_today": sum(r["today"] for r in by_state),
        "overdue_by_state": overdue_by_state,
        "overdue_total": sum(overdue_by_state.values()),
        "waiting_rt": waiting_rt,
        "milestones": milestones,
        "breaches_this_month": sum(m["breaches"] for m in milestones),
        "month_start": month_start,
    }
