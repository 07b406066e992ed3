"""The upload contract of DESIGN.md (``services.uploads.clean_upload``); the code lives in
``services.documents.cleaning``. New code imports from ``services.documents``."""

from services.documents.cleaning import CleanFile, UploadRejected, clean_upload

__all__ = ["CleanFile", "UploadRejected", "clean_upload"]
