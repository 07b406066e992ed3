"""The resident-facing pages: no login, reached by an unguessable link or a checked lookup.

- ``status.py``: the read model: from an application to what its applicant may see.
- ``lookup.py``: the reference code + last 4 phone digits lookup and its throttle.
- ``views.py`` / ``urls.py``: ``/s/<token>/`` (the status page), ``/s/<token>/surat/`` (the
  letter's PDF, electronic delivery only) and ``/lacak/`` (the lookup).
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

The one exception is the resident's own choice: a case with electronic delivery (only for
services that allow it, ``Service.electronic_delivery``) offers its current letter's PDF once
issued, and the letter prints the applicant's data. For such a case the status link is the
key to the letter, as the paper receipt is the key to a pickup; each download is in the
access log (no user), and the first one completes the case.
"""
