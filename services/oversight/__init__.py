"""Read-only oversight of several offices (issue 17): the camat sees the offices of their
kecamatan, the city supervisor every office of the city.

- ``selectors.py``: the offices side by side (on-time share, SLA breaches, open cases and
  open complaints by age, IKM) in a constant number of grouped queries whatever the number
  of offices; one case of an overseen office, read-only;
- ``views.py``: the pages under ``/pengawasan/`` (overview, an office's dashboard and charts,
  a case), GET only, no action of any kind; ``urls.py``: namespace ``oversight``.

Scope comes from ``kelurahan.access.overseen_offices`` (the user's ``Oversight`` row); an
office or case outside it answers 404, as everywhere in the portal.
"""
