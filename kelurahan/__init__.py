"""The ground floor: the project package (settings, urls, wsgi/asgi) and the office itself
(Office, RW, RT, memberships and roles, closed days, counters, access helpers).

Imports no other app of the project; ``services`` and ``verification`` import it.
"""
