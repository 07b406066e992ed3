"""The catalogue and the applications: everything a case goes through in the office.

One module or sub-package per idea (README "Where things live"):

- ``models/``: every model and enum, re-exported from ``services.models``;
- ``workflow``: every write step of a case (keyword-only, atomic, ``WorkflowError``);
- ``selectors``: the reads pages need, scoped to the user's office; ``requirements``: the
  checklist read model; ``catalogue``: what a service asks for (variants, data fields);
- ``jobs``: ``enqueue_after_commit`` and the task names; ``tasks``: django-q2's entry points;
- ``documents/``, ``letters/``, ``sla/``, ``notifications/``: the sub-domains;
- ``case_page``: panels other apps add to the case page (so this app never imports them);
- ``validators`` (NIK, KK, phone), ``throttle`` (the letter-check and complaint
  limits, the staff's case-view budget, on ``kelurahan.ratelimit``);
- ``views``, ``forms``, ``urls``, ``admin``, ``context_processors``, ``templatetags/``: the web.

Dependencies run one way: ``services`` imports ``kelurahan`` and never ``verification`` or
``bench`` (``tests/test_architecture.py`` checks it, and that no import circle exists).
"""
