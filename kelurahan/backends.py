"""Django's ModelBackend, reading the user of each request in one query: the user, their
membership (office, RT and its RW) or oversight row (kecamatan), their permissions, and the
per-user figures other apps register (the bell's unread count), instead of one query for each.

Everything is read afresh on every request, as Django's own backend does: no row outlives
the request, so a role, permission or membership changed in the admin shows on the next one.
What is kept is only the query itself: its SQL is compiled once per database connection (a
process's, per alias and thread) with the user's pk as its only varying parameter, and each
row is turned into objects by Django's own select_related machinery (issue 12: compiling it
and building its annotate chain were 85% of a logged-in page's floor).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connections, router
from django.db.models import F, Func, OuterRef, Q, Subquery, TextField, Value
from django.db.models.functions import Concat

from kelurahan.prepared import PreparedQuery

# What kelurahan.access.membership_for and oversight_for read: loaded with the user, they
# cost no query.
MEMBERSHIP_RELATED = ("membership__office", "membership__rt__rw")
OVERSIGHT_RELATED = ("oversight__kecamatan",)
PERMISSIONS_COLUMN = "portal_permissions"
GROUP_PERMISSIONS_COLUMN = "portal_group_permissions"
_SEPARATOR = "\x1f"  # ASCII unit separator: in no app label or codename

# name -> a function giving the expression (over the user's row, OuterRef("pk")) of a column
# another app reads with the user; filled in AppConfig.ready(), never changed afterwards.
_user_columns: dict[str, Callable[[], object]] = {}


def register_user_column(name: str, expression: Callable[[], object]) -> None:
    """Read ``expression()`` with the user of each request, as ``user.<name>`` (``services``
    adds the bell's unread count: a figure of its own models that ``kelurahan`` cannot name)."""
    _user_columns[name] = expression
    _user_query.reset()  # the next request compiles the query with the new column


class _JoinedText(Func):
    """The rows' texts in one, joined by _SEPARATOR: an aggregate over the whole subquery (a
    Func, so Django adds no GROUP BY), NULL when there are no rows."""

    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="GROUP_CONCAT(%(expressions)s, char(31))", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="STRING_AGG(%(expressions)s, chr(31))", **extra
        )


def _permission_texts(rows):
    """``app_label.codename`` of the permissions of ``rows`` (rows of a through table)."""
    perms = (
        rows.order_by()
        .annotate(
            joined=_JoinedText(
                Concat(
                    F("permission__content_type__app_label"), Value("."), F("permission__codename")
                )
            )
        )
        .values("joined")
    )
    return Subquery(perms, output_field=TextField())


def _permission_columns() -> dict:
    """The user's own permissions and their groups' ones, each read from the user's own rows
    (found by the user's id). Not ``Permission`` filtered by ``Q(user=…) | Q(group__user=…)``
    as Django's backend reads them: that looks at every member of every group for each
    permission, a cost that grew with the city's staff (at 1M cases, 100 offices, 4.7 of the
    7.6 ms of every logged-in page on SQLite)."""
    user_model = get_user_model()
    return {
        PERMISSIONS_COLUMN: _permission_texts(
            user_model.user_permissions.through.objects.filter(user_id=OuterRef("pk"))
        ),
        GROUP_PERMISSIONS_COLUMN: _permission_texts(
            Permission.group_set.through.objects.filter(group__user=OuterRef("pk"))
        ),
    }


def user_queryset():
    """The user's query, as a QuerySet (filter it by pk): what ``_user_query`` compiles."""
    return (
        get_user_model()
        ._default_manager.select_related(*MEMBERSHIP_RELATED, *OVERSIGHT_RELATED)
        .annotate(
            **_permission_columns(),
            **{name: expression() for name, expression in _user_columns.items()},
        )
    )


# A pk no user has, within every backend's integer range: compiled in its place, then found
# in the parameters and swapped for the user's.
_PK_PLACEHOLDER = -1_987_654_321

# The user's query, compiled once per connection (kelurahan.prepared).
_user_query = PreparedQuery(
    settings.AUTH_USER_MODEL, lambda pk: user_queryset().filter(pk=pk), pk=_PK_PLACEHOLDER
)


def _get_user(connection, user_id):
    """The user of ``user_id`` (as ``QuerySet.get(pk=...)``), or None."""
    pk_field = get_user_model()._meta.pk
    pk = pk_field.get_db_prep_value(user_id, connection, prepared=False)
    low, high = connection.ops.integer_field_range(pk_field.get_internal_type())
    if pk is None or (low is not None and pk < low) or (high is not None and pk > high):
        return None  # what the ORM's range check makes of it: no such user
    return _user_query.first_on(connection, pk=pk)


class PortalBackend(ModelBackend):
    def get_user(self, user_id):
        """The session's user, their membership and oversight row joined in (a user without
        one gets None cached, so ``membership_for``/``oversight_for`` do not ask again) and
        their permissions read in the same query, compiled once (``_user_query``)."""
        connection = connections[router.db_for_read(get_user_model())]
        user = _get_user(connection, user_id)
        if user is None:
            return None
        # What kelurahan.access.oversight_for caches: None for a user without the row.
        relation = user._meta.get_field("oversight")
        user._portal_oversight = relation.get_cached_value(user, default=None)
        if user.is_active and not user.is_superuser:
            # What get_all_permissions below would read (a superuser's are all: read there).
            user._perm_cache = {
                perm
                for column in (PERMISSIONS_COLUMN, GROUP_PERMISSIONS_COLUMN)
                if (joined := getattr(user, column))
                for perm in joined.split(_SEPARATOR)
            }
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(
                    Q(user=user_obj) | Q(group__user=user_obj)
                ).distinct()
            user_obj._perm_cache = {
                f"{ct}.{name}"
                for ct, name in perms.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache
