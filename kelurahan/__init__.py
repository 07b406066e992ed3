"""The ground floor: the project package (settings, urls, wsgi/asgi) and the office itself
(Office, RW, RT, memberships and roles, closed days, counters, access helpers), the portal's
one rate-limit mechanism (``ratelimit``, ``login_limits``), and two pieces of operations:
``jobkey`` (web and job cluster refuse to start with different secret keys) and ``health``
(what ``/healthz`` reports; apps above register their checks).

Imports no other app of the project; ``services`` and ``verification`` import it.
"""
