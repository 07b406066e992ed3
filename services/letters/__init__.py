"""Letters: how numbers and dates are written, numbering, the body text, rendering, the PDF
engine, and the public verification page.

- ``patterns``: ``format_number``, ``date_id``, the placeholder names and the opening sentence;
  pure string work, no models (``services.models`` imports it for ``Service.clean``);
- ``numbering``: ``new_output_letter``, ``new_rt_cover_letter`` (inside the issuing transaction);
- ``text``: the body with its placeholders filled, and the template context of a letter;
- ``render``: ``render_letter``, ``render_bundle`` (the jobs' work) and the template names;
- ``renders``: a row per PDF a job must make, the render lease, the reconciliation job that
  re-queues lost renders, and the counts of documents still without a PDF;
- ``pdf``: WeasyPrint behind one restricted URL fetcher (knows nothing of the project);
- ``verify``: what the public ``/v/<token>`` page shows.

Import names from their module (``from services.letters.render import render_letter``): this
``__init__`` re-exports nothing on purpose. ``services.models`` imports ``patterns``, and Python
runs a package's ``__init__`` before any of its modules, so re-exporting ``render`` or
``numbering`` (which import the models) here would close a circle at import time, and would
load WeasyPrint (~0.8 s) into every process that only wanted ``format_number``.

May import: ``kelurahan``, ``services.models``, ``services.catalogue``,
``services.requirements``, ``services.validators`` (``renders`` also ``services.jobs`` and
``services.notifications``). Not ``services.workflow`` (it imports us).
"""
