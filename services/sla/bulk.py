"""INSERT ... SELECT from an ORM queryset: set-based writes that never pass rows through Python.

Used by the SLA sweep, so its number of queries (and the data moved) does not depend on how
many rows it writes. Duplicate keys are skipped (``ON CONFLICT DO NOTHING``, which SQLite and
PostgreSQL both understand), so a re-run writes nothing twice.
"""

from django.db import connection
from django.db.models import Model, QuerySet


def insert_from_select(
    model: type[Model], columns: list[str], queryset: QuerySet, select: list[str] | None = None
) -> int:
    """Insert one row per row of the queryset into ``model``'s ``columns``; rows inserted.

    ``select`` names the queryset's fields or annotations that feed the columns, in order
    (default: the column names themselves).
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    select_sql, params = queryset.values_list(*(select or columns)).query.sql_with_params()
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) {select_sql} ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
