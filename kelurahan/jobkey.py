"""Web and job cluster must run with the same ``DJANGO_SECRET_KEY``; both refuse to start if not.

django-q2 signs every task with the secret key (``django_q.signing.SignedPackage``, salted
with the cluster name) and its pusher drops a task whose signature fails, logging one line and
nothing else: with two keys every render, message and recompute the web process queues is
lost without a trace. So each side, as it starts, leaves a **signed marker in the broker** and
verifies the other side's:

1. ``announce(side)``: the marker (who, when, which host and pid; nothing secret), signed by
   django-q2's own ``SignedPackage`` (the very codec and key tasks use), replaces this side's
   previous one on the broker queue ``<cluster name>.keycheck.<side>``. The cluster's pusher
   reads only its own queue, so markers are never run as tasks.
2. ``verify(side)``: the other side's marker is read from the broker and loaded with this
   process's key. A marker that does not verify raises ``KeyMismatch``. On the ORM broker it
   is dequeued, put back unchanged and the original acknowledged; on Redis (``REDIS_URL``) it
   is read in place (``LINDEX``), since a pop-and-push there leaves a moment with no marker in
   which another node's check would find none and pass. Announcing on Redis replaces the
   marker in one MULTI/EXEC: two nodes starting together leave one marker, not two (seen in
   `make test-cluster` with purge-then-push).

Announcing first and verifying second means that of two processes started together with
different keys, at least the second to verify refuses; and whichever restarts later refuses
while the other side's marker is still signed with another key. The web process runs the
check when its WSGI application loads (``kelurahan/wsgi.py``: gunicorn, and ``runserver``);
the cluster in ``manage.py qcluster`` (``kelurahan/management/commands/qcluster.py`` wraps
django-q2's command). ``manage.py jobkey`` shows or resets the markers: after a deliberate
key change, stop both sides, run ``manage.py jobkey --reset``, and start both.

May import: Django, django-q2 and its Redis client (``redis``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import redis
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.brokers.redis_broker import Redis as RedisBroker
from django_q.conf import Conf
from django_q.signing import BadSignature, SignedPackage

logger = logging.getLogger(__name__)
SIDES = ("web", "cluster")


class KeyMismatch(ImproperlyConfigured):
    pass


def _other(side: str) -> str:
    return SIDES[1 - SIDES.index(side)]


def queue_name(side: str) -> str:
    return f"{Conf.PREFIX}.keycheck.{side}"


def _broker(side: str):
    return get_broker(queue_name(side))


def marker(side: str) -> str:
    """This side's marker, signed as django-q2 signs a task (and shaped like one, for the
    admin's list of queued tasks)."""
    return SignedPackage.dumps(
        {
            "id": uuid.uuid4().hex,
            "name": f"keycheck-{side}",
            "func": "kelurahan.jobkey.marker",
            "args": (side,),
            "kwargs": {},
            "keycheck": side,
            "at": timezone.now().isoformat(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
    )


def announce(side: str) -> None:
    broker = _broker(side)
    payload = marker(side)
    if isinstance(broker, RedisBroker):
        with broker.connection.pipeline(transaction=True) as pipe:
            pipe.delete(broker.list_key)
            pipe.rpush(broker.list_key, payload)
            pipe.execute()
        return
    broker.purge_queue()
    broker.enqueue(payload)


def read(side: str) -> str | None:
    """The signed payload of ``side``'s marker, left in the broker; None when there is none."""
    broker = _broker(side)
    if isinstance(broker, RedisBroker):
        got = broker.connection.lindex(broker.list_key, -1)
        return got.decode() if got is not None else None
    got = broker.dequeue()
    if not got:
        return None
    ack_id, payload = got[0]
    broker.enqueue(payload)
    broker.acknowledge(ack_id)
    return payload


def verify(side: str) -> dict | None:
    """Load the other side's marker with this process's key; None when it has none yet."""
    other = _other(side)
    payload = read(other)
    if payload is None:
        return None
    try:
        return SignedPackage.loads(payload)
    except (BadSignature, TypeError, ValueError) as exc:
        raise KeyMismatch(
            f"Refusing to start the {side} process: the job {other}'s marker in the task broker "
            f"(queue {queue_name(other)!r}) is not signed with this DJANGO_SECRET_KEY. The web "
            "process and the job cluster (qcluster) run with different keys, and django-q2 "
            "would drop every task one signs and the other reads. Give both the same "
            "DJANGO_SECRET_KEY. After a deliberate key change: stop both, run "
            "`manage.py jobkey --reset`, then start both."
        ) from exc


def check_on_start(side: str) -> dict | None:
    """Announce, then verify (``KeyMismatch`` when the keys differ). A broker that is not
    ready (no tables before the first migrate) is logged and skipped, never fatal."""
    try:
        announce(side)
        found = verify(side)
    except (DatabaseError, redis.exceptions.ConnectionError) as exc:
        logger.warning("job key check skipped, the broker is not ready: %s", exc)
        return None
    if found is None:
        logger.info(
            "job key check: no %s marker yet; this %s marker is in place", _other(side), side
        )
    return found
