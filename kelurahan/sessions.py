"""The session store (SESSION_ENGINE): Django's database store, reading a request's session
with SQL compiled once per database connection.

Django's store runs ``Session.objects.get(session_key=..., expire_date__gt=now)`` on every
request, compiling the same query each time (issue 12: a fifth of a logged-in page's floor
once the user's query was compiled once, kelurahan.backends). Here the query is the ORM's own
SQL, compiled on a connection's first request; each request swaps in its session key and
the current time and reads the same row, so nothing is cached but the SQL text: a session
deleted, expired or changed shows on the next request, as with Django's. Writing, creating,
deleting and clearing expired sessions are Django's, unchanged.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

# Values no session has, compiled in place of the key and the time, then found in the
# parameters and swapped for the request's.
_KEY_PLACEHOLDER = "kelurahan-session-key-placeholder"
_NOW_PLACEHOLDER = datetime(1971, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)


class _SessionQuery:
    """``model``'s live session of one key, compiled once for one connection."""

    def __init__(self, model, connection):
        self.model = model
        self.expire_field = model._meta.get_field("expire_date")
        compiler = (
            model.objects.filter(session_key=_KEY_PLACEHOLDER, expire_date__gt=_NOW_PLACEHOLDER)
            .values_list("session_data", "expire_date")
            .query.get_compiler(connection=connection)
        )
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        now = self.expire_field.get_db_prep_value(_NOW_PLACEHOLDER, connection, prepared=False)
        self.key_slot = self._slot(_KEY_PLACEHOLDER)
        self.now_slot = self._slot(now)
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())

    def _slot(self, value) -> int:
        slots = [i for i, param in enumerate(self.params) if param == value]
        assert len(slots) == 1, f"{value!r} must be one parameter of the session's query"
        return slots[0]

    def get(self, connection, session_key: str):
        """The live session of ``session_key`` (a model instance, as ``objects.get``), or
        None when there is none or it has expired."""
        params = list(self.params)
        params[self.key_slot] = session_key
        params[self.now_slot] = self.expire_field.get_db_prep_value(
            timezone.now(), connection, prepared=False
        )
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row[:2])
        for pos, (converters, expression) in self.converters:
            for converter in converters:
                row[pos] = converter(row[pos], expression, connection)
        return self.model(session_key=session_key, session_data=row[0], expire_date=row[1])


# connection -> {session model: its _SessionQuery}; a connection is per alias and thread.
_compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        connection = connections[router.db_for_read(self.model)]
        queries = _compiled.setdefault(connection, {})
        query = queries.get(self.model)
        if query is None:
            query = queries[self.model] = _SessionQuery(self.model, connection)
        session = query.get(connection, self.session_key)
        if session is None:
            self._session_key = None  # as Django's: a fresh session from here on
        return session
