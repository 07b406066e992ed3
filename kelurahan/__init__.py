"""The ground floor: the project package (settings, urls, wsgi/asgi) and the office itself
(Office, RW, RT, memberships and roles, closed days, counters, access helpers), and the
portal's one rate-limit mechanism (``ratelimit``, ``login_limits``).

Imports no other app of the project; ``services`` and ``verification`` import it.
"""
