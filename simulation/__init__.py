"""A month of a kelurahan, replayed through the real workflow (``manage.py simulate``).

- ``engine``: the discrete-event simulation. Residents arrive, officers work a queue with a
  daily capacity inside their working hours, RT chairs answer after drawn delays, letters are
  issued and handed over, complaints and SKM answers come in, and the SLA sweep runs on its
  schedule interval: every step is a real workflow function called under a moved clock
  (time-machine), so the rows it leaves are those the office would have;
- ``report``: the tables of a run (per milestone, service and RT: cases, share on time,
  median and p90 working hours per stage), read back from the stored rows, and their JSON.

The top floor: it imports ``kelurahan``, ``services`` and ``verification``; nothing imports it
(tests/test_architecture.py). No models.
"""
