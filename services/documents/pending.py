"""Documents chosen on a form that failed validation, kept for the next submit.

Why: a resident's three or four photos (sent by WhatsApp, picked one by one) must not be
picked again because the NIK had a typo. Browsers never re-fill a file input, so the server
keeps what it already cleaned:

- only ``CleanFile`` results are kept (re-encoded images, checked PDFs;
  services.documents.cleaning), in the private media storage under ``pending/<token>`` — no
  URL serves that folder;
- the token is 192 random bits and is only honoured when it is listed in *this* session,
  for the same form (``scope``) and field, so another user (or another form) cannot claim
  it, and a forged token is ignored;
- a session keeps at most ``PENDING_UPLOAD_MAX_FILES`` files / ``PENDING_UPLOAD_MAX_BYTES``
  bytes, each for ``PENDING_UPLOAD_TTL_SECONDS``; expired files are deleted whenever new
  ones are kept (and by ``purge_expired`` for sessions that never came back);
- the bytes are checked against their SHA-256 when read back.

``PendingUploadsMixin`` puts this on a form whose document fields have ``keep_pending``
(the intake's documents; the public complaint form's photo, a one-file field with
``replaces_kept``).
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from services.documents.cleaning import CleanFile

SESSION_KEY = "pending_uploads"
FOLDER = "pending"
KEEP_SUFFIX = "__simpan"  # hidden input listing the kept tokens of a field
REMOVE_NAME = "hapus_berkas"  # the remove button's name; its value is the token


def _ttl() -> int:
    return getattr(settings, "PENDING_UPLOAD_TTL_SECONDS", 2 * 60 * 60)


def _max_files() -> int:
    return getattr(settings, "PENDING_UPLOAD_MAX_FILES", 40)


def _max_bytes() -> int:
    return getattr(settings, "PENDING_UPLOAD_MAX_BYTES", 80 * 1024 * 1024)


@dataclass(frozen=True)
class Kept:
    token: str  # empty when the file could not be kept (over the cap): pick it again
    clean: CleanFile

    @property
    def name(self) -> str:
        return self.clean.original_name


class PendingUploads:
    """The kept files of one session, for one form (``scope``)."""

    def __init__(self, session, scope: str):
        self.session = session
        self.scope = scope

    # --- the session's index ----------------------------------------------------------------
    def _index(self) -> dict:
        return dict(self.session.get(SESSION_KEY) or {})

    def _save(self, index: dict) -> None:
        self.session[SESSION_KEY] = index

    def _live(self, index: dict, now: float) -> dict:
        """The index without expired entries (whose files are deleted)."""
        live = {}
        for token, meta in index.items():
            if now - meta.get("at", 0) > _ttl():
                _delete(token)
            else:
                live[token] = meta
        return live

    # --- keeping and reading back -----------------------------------------------------------
    def add(self, clean: CleanFile, *, field: str) -> Kept:
        now = time.time()
        index = self._live(self._index(), now)
        used = sum(meta["size"] for meta in index.values())
        if len(index) >= _max_files() or used + len(clean.content) > _max_bytes():
            self._save(index)
            return Kept(token="", clean=clean)
        token = secrets.token_urlsafe(24)
        default_storage.save(_path(token, "file"), ContentFile(clean.content))
        if clean.thumbnail:
            default_storage.save(_path(token, "thumb"), ContentFile(clean.thumbnail))
        index[token] = {
            "scope": self.scope,
            "field": field,
            "at": now,
            "size": len(clean.content),
            "name": clean.original_name,
            "ext": clean.extension,
            "type": clean.content_type,
            "sha256": clean.sha256,
            "thumb": bool(clean.thumbnail),
            "w": clean.width,
            "h": clean.height,
        }
        self._save(index)
        purge_expired(now)
        return Kept(token=token, clean=clean)

    def load(self, tokens: list[str], *, field: str) -> list[Kept]:
        """The files behind ``tokens`` that this session kept for this form and field."""
        index = self._live(self._index(), time.time())
        kept = []
        for token in dict.fromkeys(tokens):  # once each, in the order given
            meta = index.get(token)
            if not meta or meta["scope"] != self.scope or meta["field"] != field:
                continue
            clean = _read(token, meta)
            if clean is None:
                index.pop(token, None)
                continue
            kept.append(Kept(token=token, clean=clean))
        self._save(index)
        return kept

    def discard(self, token: str) -> str:
        """Forget one kept file of this form; returns its name ("" when it was not ours)."""
        index = self._index()
        meta = index.get(token)
        if not meta or meta["scope"] != self.scope:
            return ""
        del index[token]
        _delete(token)
        self._save(index)
        return meta["name"]

    def clear(self) -> None:
        """Forget every kept file of this form (after a successful submit)."""
        index = self._index()
        for token in [t for t, meta in index.items() if meta["scope"] == self.scope]:
            del index[token]
            _delete(token)
        self._save(index)


def _path(token: str, part: str) -> str:
    return f"{FOLDER}/{token}.{part}"


def _read(token: str, meta: dict) -> CleanFile | None:
    try:
        with default_storage.open(_path(token, "file"), "rb") as f:
            content = f.read()
        thumbnail = None
        if meta["thumb"]:
            with default_storage.open(_path(token, "thumb"), "rb") as f:
                thumbnail = f.read()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != meta["sha256"]:
        _delete(token)
        return None
    return CleanFile(
        content=content,
        extension=meta["ext"],
        content_type=meta["type"],
        sha256=meta["sha256"],
        thumbnail=thumbnail,
        original_name=meta["name"],
        width=meta["w"],
        height=meta["h"],
    )


def _delete(token: str) -> None:
    for part in ("file", "thumb"):
        with contextlib.suppress(OSError):
            default_storage.delete(_path(token, part))


def purge_expired(now: float | None = None) -> int:
    """Delete kept files older than the TTL, whichever session kept them."""
    now = time.time() if now is None else now
    try:
        _, names = default_storage.listdir(FOLDER)
    except (OSError, NotImplementedError):
        return 0
    removed = 0
    for name in names:
        path = f"{FOLDER}/{name}"
        with contextlib.suppress(OSError):
            if now - default_storage.get_modified_time(path).timestamp() > _ttl():
                default_storage.delete(path)
                removed += 1
    return removed


class PendingUploadsMixin:
    """Form mixin: document fields keep their files across a failed submit.

    The form takes ``pending=PendingUploads(request.session, scope)``. After validation each
    document field's ``cleaned_data`` holds the kept files plus the new ones, and
    ``field.kept`` what the template shows as "sudah dipilih" (with hidden inputs and a remove
    button). ``removed`` names a file the user just removed: the view shows the form again
    rather than saving. Call ``forget_pending()`` once the submit succeeded.
    """

    def __init__(self, *args, pending: PendingUploads | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        self.removed = ""

    def pending_field_names(self) -> list[str]:
        return [name for name, field in self.fields.items() if getattr(field, "keep_pending", 0)]

    def clean(self):
        data = super().clean()
        if self.pending is None:
            return data
        token = self.data.get(REMOVE_NAME, "")
        if token:
            self.removed = self.pending.discard(token) or "berkas"
        for name in self.pending_field_names():
            field = self.fields[name]
            new = data.get(name) or getattr(field, "accepted", [])
            tokens = [t for t in self.data.getlist(self.add_prefix(name) + KEEP_SUFFIX) if t]
            # No tokens: nothing to read back (and an anonymous visitor gets no session).
            kept = self.pending.load(tokens, field=name) if tokens else []
            if new and getattr(field, "replaces_kept", False):
                for old in kept:  # a one-file field: the file just chosen replaces the kept one
                    self.pending.discard(old.token)
                kept = []
            kept += [self.pending.add(clean, field=name) for clean in new]
            field.kept = [k for k in kept if k.token]
            if len(kept) > field.max_files:
                self.add_error(
                    name, f"Paling banyak {field.max_files} berkas untuk persyaratan ini."
                )
            elif name not in self.errors:
                data[name] = [k.clean for k in kept]
            lost = [k.name for k in kept if not k.token]
            if lost and name not in self.errors:
                field.lost = lost
        return data

    def forget_pending(self) -> None:
        if self.pending is not None:
            self.pending.clear()


def unsaved_post_message(request, form) -> None:
    """What an intake form says after a POST that saved nothing."""
    if request.method != "POST":
        return
    if form.removed:
        messages.info(request, f"{form.removed} dihapus dari berkas yang dipilih.")
    elif not form.is_valid():
        messages.error(
            request,
            "Periksa isian yang ditandai merah. Berkas yang sudah dipilih tetap tersimpan "
            "dan tidak perlu dipilih ulang.",
        )


def pending_key(kind: str, service, variant=None) -> str:
    """The scope of one intake form: its kind, service and (when chosen) variant."""
    return f"{kind}:{service.code}" + (f":{variant.code}" if variant is not None else "")
