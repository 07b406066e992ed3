"""The resident-facing pages: no login, reached by an unguessable link or a checked lookup.

- ``status.py``: the read model: from an application to what its applicant may see.
- ``lookup.py``: the reference code + last 4 phone digits lookup and its throttle.
- ``views.py`` / ``urls.py``: ``/s/<token>/`` (the status page) and ``/lacak/`` (the lookup).
- ``complaint_status.py`` / ``complaint_views.py`` / ``complaint_urls.py``: the complaint form
  ``/pengaduan/``, its status page ``/pengaduan/s/<token>/`` and the office's optional public
  list (what a complaint's page may show: see complaint_status.py).

What these pages may show: the service, the masked name, the state in plain words, the dates
of the steps done, the promised date, which documents are missing or were refused and why, the
RT's reason for a return or rejection, and how the letter reaches the resident (the office's
address and hours, or the courier and receipt number). Never the NIK, the KK number, the
address, the phone number, a document or any link to one: whoever holds the link (a neighbour
who saw the receipt) learns no more than where the case stands. Every response is ``noindex``
and ``no-store``.
"""
