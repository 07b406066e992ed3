"""SQLite planner statistics kept whole across migrations.

Once ``ANALYZE`` has run (the bench runs it after seeding; an operator may), SQLite's planner
trusts ``sqlite_stat1``. An index a later migration adds has no row there, and the planner then
guesses its selectivity: at 100,000 cases it chose the new ``application_waiting_rt`` index for
the officer's queue over ``application_open_queue`` and sorted the office's open cases in a
temporary B-tree (5.2 ms for the page's rows instead of 0.16 ms). After ``migrate`` every
index without statistics is analysed on its own (``ANALYZE index-name``): one pass over that
index. An index with no rows gets no statistics, so it is read again next time, for nothing. A
database never analysed is left alone: there the planner's defaults are consistent. PostgreSQL's
autovacuum analyses new indexes itself.
"""

from django.db import connections


def analyse_new_indexes(using: str = "default", **kwargs) -> list[str]:
    """Analyse each index missing from ``sqlite_stat1`` (SQLite only, only once ANALYZE has
    run); return the names analysed."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return []
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)"
            " ORDER BY name"
        )
        missing = [name for (name,) in cursor.fetchall()]
        for name in missing:
            cursor.execute(f'ANALYZE "{name}"')
    return missing
