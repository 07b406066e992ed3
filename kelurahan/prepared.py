"""A read whose shape never changes, compiled once per database connection.

Building a QuerySet with its joins and subqueries and compiling it to SQL costs more CPU than
running it on an indexed row (issue 12: the case page's own query, five joins and four
subqueries, was a fifth of the page). A ``PreparedQuery`` compiles its queryset once for each
connection (a process's, per alias and thread), with placeholder values where the request's
values go, and on each call runs that SQL with the values swapped in. The row becomes the
model instance with its ``select_related`` objects and annotations through Django's own
machinery, as ``QuerySet.get()`` would give it. A ``PreparedRows`` does the same for a
``values_list()`` read of many rows (the queue's RT and service filters). Nothing read is
kept: only the SQL.

On PostgreSQL the statement is also prepared on the server, once per database connection:
Django's client-side binding makes PostgreSQL plan every query it is sent, and the planning
of these wide joins cost more than running them (EXPLAIN ANALYZE of the user's query, read on
every staff page: 1.7 ms planning, 0.36 ms execution; the case page's: 2.7 ms and 0.54 ms).
Only the reads that ask for it are prepared (these, and raw SQL run through
``preparing_cursor``): Django keeps its client-side binding everywhere else, and psycopg keeps
the prepared statements per connection (a new connection, or a ROLLBACK, prepares again).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from django.apps import apps
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

try:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3
except ImportError:  # no PostgreSQL driver installed: SQLite only
    is_psycopg3 = False


if is_psycopg3:
    from django.db.backends.postgresql.base import (
        TIMESTAMPTZ_OID,
        CursorDebugWrapper,
        ServerBindingCursor,
    )
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from django.db.backends.utils import CursorWrapper
    from psycopg.pq import Format

    class _PreparingCursor(ServerBindingCursor):
        """psycopg's server-side binding cursor that prepares what it runs (psycopg keeps
        the prepared statement per connection, keyed by the SQL and its parameter types)."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    class _PreparedDebugWrapper(CursorDebugWrapper):
        """Django's debug wrapper, logging the SQL with its values as Django composes it
        (Django reads it back from a client-binding cursor only)."""

        def execute(self, sql, params=None):
            with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
                return CursorWrapper.execute(self, sql, params)


def preparing_cursor(connection):
    """A cursor for reads of a fixed shape: Django's own, wrapped as ``connection.cursor()``
    wraps it (logged, counted, its errors translated), preparing what it runs on PostgreSQL
    (raw SQL whose text never changes: only its parameters do)."""
    if connection.vendor != "postgresql" or not is_psycopg3:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
        # As Django's create_cursor: the connection's time zone loader, if it changed.
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, raw)
    if connection.queries_logged:
        return _PreparedDebugWrapper(raw, connection)
    return connection.make_cursor(raw)


class _CompiledRows:
    """One ``values_list()`` queryset compiled for one connection: its SQL, its parameters
    with the slots of the placeholders, and the converters Django applies to each column."""

    def __init__(self, queryset: QuerySet, placeholders: dict, connection):
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots = {}
        for name, placeholder in placeholders.items():
            slots = [i for i, value in enumerate(self.params) if value == placeholder]
            assert len(slots) == 1, f"{name}'s placeholder must be one parameter of the query"
            self.slots[name] = slots[0]
        self.col_count = compiler.col_count
        self.converters = list(
            compiler.get_converters([s[0] for s in compiler.select[: self.col_count]]).items()
        )
        self.read_compiler(compiler, connection)  # not kept: it holds the connection

    def read_compiler(self, compiler, connection) -> None:
        """What a subclass needs of the compiler besides the SQL."""

    def execute(self, connection, values: dict, fetch):
        params = list(self.params)
        for name, value in values.items():
            params[self.slots[name]] = value
        with preparing_cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            return fetch(cursor)

    def convert(self, row, connection) -> list:
        row = list(row[: self.col_count])
        for pos, (converters, expression) in self.converters:
            value = row[pos]
            for converter in converters:
                value = converter(value, expression, connection)
            row[pos] = value
        return row

    def rows(self, connection, values: dict) -> list[tuple]:
        if not self.converters:
            return [tuple(row) for row in self.execute(connection, values, _fetchall)]
        return [
            tuple(self.convert(row, connection))
            for row in self.execute(connection, values, _fetchall)
        ]


def _fetchall(cursor):
    return cursor.fetchall()


def _fetchone(cursor):
    return cursor.fetchone()


class _Compiled(_CompiledRows):
    """One queryset compiled for one connection, as ``_CompiledRows``, with what Django's
    ModelIterable computes from the compiler to turn a row into the model instance with its
    related objects and annotations."""

    def read_compiler(self, compiler, connection) -> None:
        select, klass_info = compiler.select, compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [f[0].target.attname for f in select[self.start : self.end]]
        self.related_populators = get_related_populators(klass_info, select, connection.alias)
        self.annotation_col_map = dict(compiler.annotation_col_map or {})

    def first(self, connection, values: dict) -> Model | None:
        row = self.execute(connection, values, _fetchone)
        return None if row is None else self.instance(row, connection)

    def all(self, connection, values: dict) -> list[Model]:
        return [
            self.instance(row, connection) for row in self.execute(connection, values, _fetchall)
        ]

    def instance(self, row, connection) -> Model:
        row = self.convert(row, connection)
        obj = self.model.from_db(connection.alias, self.init_list, row[self.start : self.end])
        for populator in self.related_populators:
            populator.populate(row, obj)
        for name, pos in self.annotation_col_map.items():
            setattr(obj, name, row[pos])
        return obj


class PreparedQuery:
    """``build(**placeholders)``, a queryset of ``model`` filtered by those values, compiled
    once per connection; ``first(**values)`` runs it with the request's values in their
    place and gives the first row as the model instance (or None), ``all(**values)`` every
    row as instances.

    Each placeholder must reach the SQL as exactly one parameter, unchanged (a value no real
    row has, of the column's type: an out-of-range integer, a text no code can be); the
    values given to ``first`` must be what the database compares (prepared, in range).

    ``shape``, if given, returns what the queryset's shape depends on besides the code (e.g.
    the columns other apps registered): when its value changes, the query is compiled again.
    """

    compiled_class = _Compiled

    def __init__(
        self,
        model: type[Model] | str,
        build: Callable[..., QuerySet],
        *,
        shape: Callable[[], object] | None = None,
        **placeholders,
    ):
        self._model = model  # a model or its "app_label.Model" (resolved when first run)
        self.build = build
        self.shape = shape or (lambda: None)
        self.placeholders = placeholders
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def compiled(self, connection) -> _CompiledRows:
        shape = self.shape()
        shaped = self._compiled.get(connection)
        if shaped is None or shaped[0] != shape:
            queryset = self.build(**self.placeholders)
            shaped = self._compiled[connection] = (
                shape,
                self.compiled_class(queryset, self.placeholders, connection),
            )
        return shaped[1]

    @property
    def model(self) -> type[Model]:
        if isinstance(self._model, str):
            self._model = apps.get_model(self._model)
        return self._model

    def first(self, **values) -> Model | None:
        connection = connections[router.db_for_read(self.model)]
        return self.first_on(connection, **values)

    def first_on(self, connection, **values) -> Model | None:
        assert values.keys() == self.placeholders.keys(), "give a value for each placeholder"
        return self.compiled(connection).first(connection, values)

    def all(self, **values) -> list[Model]:
        """Every row, as the model instances ``list(queryset)`` would give."""
        connection = connections[router.db_for_read(self.model)]
        assert values.keys() == self.placeholders.keys(), "give a value for each placeholder"
        return self.compiled(connection).all(connection, values)

    def reset(self) -> None:
        """Compile again on the next call (the queryset's shape changed)."""
        self._compiled.clear()


class PreparedRows(PreparedQuery):
    """A ``values_list()`` read of fixed shape, compiled once per connection as a
    ``PreparedQuery`` (placeholders alike); ``rows(**values)`` gives all its rows as tuples,
    each column converted as Django converts it. For the small reads a page repeats on every
    visit whose SQL costs more to build than to run (the queue's RT filter: 0.50 ms to build
    and compile, 0.05 ms to run on SQLite)."""

    compiled_class = _CompiledRows

    def rows(self, **values) -> list[tuple]:
        connection = connections[router.db_for_read(self.model)]
        assert values.keys() == self.placeholders.keys(), "give a value for each placeholder"
        return self.compiled(connection).rows(connection, values)


class PreparedListing:
    """What a ``Paginator`` reads of a list (``count()`` and a slice per page) from two
    ``PreparedRows``: ``count`` (one row, one column: the total; no row counts 0) and
    ``first`` (the first ``size`` rows, in the list's order). A later page, rarer, is read by
    ``later(window)`` (the ORM). Each row is a dict of ``names`` (as ``.values()`` gives);
    ``values`` are the placeholders' values of both reads."""

    def __init__(
        self, *, count: PreparedRows, first: PreparedRows, size: int, names, later, **values
    ):
        self.counted, self.first, self.size = count, first, size
        self.names, self.later, self.values = tuple(names), later, values

    def count(self) -> int:
        counted = self.counted.rows(**self.values)
        return counted[0][0] if counted else 0

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[dict]:
        if not window.stop:
            return []  # an empty list: no read, as the ORM's empty slice
        if not window.start and window.stop <= self.size:
            rows = self.first.rows(**self.values)[: window.stop]
        else:
            rows = self.later(window)
        return [dict(zip(self.names, row, strict=True)) for row in rows]
