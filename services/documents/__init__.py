"""Documents: cleaning an upload, keeping files across a failed form, serving them, logging who
viewed them.

- ``cleaning``: ``clean_upload(uploaded)`` → ``CleanFile`` or ``UploadRejected`` (Pillow and
  pikepdf checks, re-encoding, size and pixel limits);
- ``budget``: how many files and pixels one request may bring (checked before any decode);
- ``pending``: files kept for a form that failed validation, so nobody uploads twice, and
  ``PendingUploadsMixin``, the form side of every upload (inspect, budget, decode last);
- ``virus``: the optional ClamAV (clamd INSTREAM) scan of every file before it is decoded;
- ``serving``: ``attachment_response`` (private, sandboxed) and ``log_access``, the one writer
  of the access log.

``clean_upload``, ``CleanFile`` and ``UploadRejected`` are importable from here too (DESIGN.md
names them). May import: ``services.models`` (``serving``); ``cleaning``, ``budget``, ``pending``
and ``virus`` import nothing else of the project.
"""

from services.documents.cleaning import CleanFile, UploadRejected, clean_upload

__all__ = ["CleanFile", "UploadRejected", "clean_upload"]
