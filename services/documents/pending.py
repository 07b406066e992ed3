"""Documents chosen on a form that failed validation, kept for the next submit.

Why: a resident's three or four photos (sent by WhatsApp, picked one by one) must not be
picked again because the NIK had a typo. Browsers never re-fill a file input, so the server
keeps what it already cleaned:

- what is kept passed ``cleaning``: a ``CleanFile`` (re-encoded image, re-written PDF), or,
  when another field failed and nothing was decoded, an ``Inspected`` file as sent (type,
  name and header checked; decoded on the submit that passes). It is stored in the private
  media storage under ``pending/<token>`` — no URL serves that folder;
- the token is 192 random bits and is only honoured when it is listed in *this* session,
  for the same form (``scope``) and field, so another user (or another form) cannot claim
  it, and a forged token is ignored;
- a session keeps at most ``PENDING_UPLOAD_MAX_FILES`` files / ``PENDING_UPLOAD_MAX_BYTES``
  bytes, each for ``PENDING_UPLOAD_TTL_SECONDS``; the public forms add a cap per client
  address (``PENDING_UPLOAD_MAX_BYTES_PER_ADDRESS``), and every session together at most
  ``PENDING_UPLOAD_TOTAL_MAX_BYTES`` (an anonymous visitor can start a session per request:
  over a cap, a file is simply not kept and the form asks to pick it again); expired files
  are deleted whenever new ones are kept, and every 10 minutes by the scheduled
  ``purge_pending_uploads`` job (migration 0024) for sessions that never came back;
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
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from services.documents import budget
from services.documents.cleaning import (
    CleanFile,
    Inspected,
    UploadRejected,
    clean_inspected,
    inspect_bytes,
)

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


def _total_max_bytes() -> int:
    return getattr(settings, "PENDING_UPLOAD_TOTAL_MAX_BYTES", 1024 * 1024 * 1024)


def _address_max_bytes() -> int:
    return getattr(settings, "PENDING_UPLOAD_MAX_BYTES_PER_ADDRESS", 50 * 1024 * 1024)


@dataclass(frozen=True)
class Kept:
    token: str  # empty when the file could not be kept (over a cap): pick it again
    item: CleanFile | Inspected  # Inspected: kept as sent, decoded on the submit that passes

    @property
    def raw(self) -> bool:
        return isinstance(self.item, Inspected)

    @property
    def name(self) -> str:
        return self.item.name if self.raw else self.item.original_name


class PendingUploads:
    """The kept files of one session, for one form (``scope``).

    ``address`` (the client's, for the public forms) adds a cap per address: a visitor who
    starts a new session for every submit still keeps at most
    ``PENDING_UPLOAD_MAX_BYTES_PER_ADDRESS`` per TTL (counted in the cache, shared when
    CACHES is).
    """

    def __init__(self, session, scope: str, *, address: str | None = None):
        self.session = session
        self.scope = scope
        self.address = address

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
    def add(self, item: CleanFile | Inspected, *, field: str) -> Kept:
        now = time.time()
        index = self._live(self._index(), now)
        if isinstance(item, Inspected):
            return self._add_raw(item, field=field, index=index, now=now)
        clean = item
        if not self._room(index, len(clean.content)):
            self._save(index)
            return Kept(token="", item=clean)
        token = secrets.token_urlsafe(24)
        self._count_for_address(len(clean.content))
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
        return Kept(token=token, item=clean)

    def _add_raw(self, item: Inspected, *, field: str, index: dict, now: float) -> Kept:
        """Keep a file that passed inspection but was not decoded (another field failed)."""
        if not self._room(index, len(item.data)):
            self._save(index)
            return Kept(token="", item=item)
        token = secrets.token_urlsafe(24)
        self._count_for_address(len(item.data))
        default_storage.save(_path(token, "file"), ContentFile(item.data))
        index[token] = {
            "scope": self.scope,
            "field": field,
            "at": now,
            "size": len(item.data),
            "name": item.name,
            "raw": True,
            "sha256": hashlib.sha256(item.data).hexdigest(),
        }
        self._save(index)
        purge_expired(now)
        return Kept(token=token, item=item)

    def _room(self, index: dict, size: int) -> bool:
        """Whether one more file of ``size`` bytes fits the caps: this session's, the
        address's, and the total of every session."""
        used = sum(meta["size"] for meta in index.values())
        if len(index) >= _max_files() or used + size > _max_bytes():
            return False
        if self.address and cache.get(self._address_key(), 0) + size > _address_max_bytes():
            return False
        return pending_usage() + size <= _total_max_bytes()

    def _address_key(self) -> str:
        return f"pending-bytes:{self.address}"

    def _count_for_address(self, size: int) -> None:
        if not self.address:
            return
        key = self._address_key()
        cache.add(key, 0, timeout=_ttl())
        try:
            cache.incr(key, size)
        except ValueError:  # evicted between add and incr
            cache.set(key, size, timeout=_ttl())

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
            kept.append(Kept(token=token, item=clean))
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


def _read(token: str, meta: dict) -> CleanFile | Inspected | None:
    try:
        with default_storage.open(_path(token, "file"), "rb") as f:
            content = f.read()
        thumbnail = None
        if meta.get("thumb"):
            with default_storage.open(_path(token, "thumb"), "rb") as f:
                thumbnail = f.read()
    except OSError:
        return None
    if hashlib.sha256(content).hexdigest() != meta["sha256"]:
        _delete(token)
        return None
    if meta.get("raw"):
        try:  # cheap again (no decode), and the settings may have changed meanwhile
            return inspect_bytes(content, meta["name"])
        except UploadRejected:
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


def pending_usage() -> int:
    """Bytes held in the pending folder by every session together."""
    try:
        _, names = default_storage.listdir(FOLDER)
    except (OSError, NotImplementedError):
        return 0
    used = 0
    for name in names:
        with contextlib.suppress(OSError):
            used += default_storage.size(f"{FOLDER}/{name}")
    return used


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
    """Form mixin for every form that takes files: decode last, within the request's budget,
    and (with ``pending``) keep the files across a failed submit.

    Upload fields (``keep_pending``) only *inspect* their files (``cleaning.inspect_upload``:
    size, type, name, the image header), so ``cleaned_data`` holds ``Inspected`` items while
    the form validates. Once every other field and ``clean()`` have run:

    - the files of the request (the new ones and those kept from before) are counted against
      ``services.documents.budget`` before any byte is read; their pixels, from the headers,
      too. Over budget: one clear error, nothing decoded and nothing new kept;
    - another field is invalid: nothing is decoded; the new files are kept as sent (raw) and
      decoded on the submit that passes;
    - otherwise every file is decoded and re-encoded (``clean_inspected``); a file that fails
      gets its own error and the others are kept, decoded.

    The form takes ``pending=PendingUploads(request.session, scope)`` (or ``None``: nothing is
    kept). After validation each upload field's ``cleaned_data`` is a list of ``CleanFile``
    and ``field.kept`` what the template shows as "sudah dipilih" (with hidden inputs and a
    remove button). ``removed`` names a file the user just removed: the view shows the form
    again rather than saving. Call ``forget_pending()`` once the submit succeeded.
    """

    def __init__(self, *args, pending: PendingUploads | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        self.removed = ""

    def pending_field_names(self) -> list[str]:
        return [name for name, field in self.fields.items() if getattr(field, "keep_pending", 0)]

    def full_clean(self):
        refusal = None
        if self.is_bound:
            sent = sum(
                len(self.files.getlist(self.add_prefix(n))) for n in self.pending_field_names()
            )
            refusal = budget.too_many_files(sent)
            for name in self.pending_field_names():
                # Over the count, the fields read nothing at all (not even the headers).
                self.fields[name].skip_reading = refusal is not None
        super().full_clean()
        if self.is_bound and hasattr(self, "cleaned_data"):
            self._finish_uploads(refusal)

    def _finish_uploads(self, refusal: str | None) -> None:
        token = self.data.get(REMOVE_NAME, "")
        if token and self.pending is not None:
            self.removed = self.pending.discard(token) or "berkas"
        slots = {
            name: self._slot(name, read_new=refusal is None) for name in self.pending_field_names()
        }
        files = [item for kept, new in slots.values() for item in [*kept, *new]]
        to_decode = [k.item for kept, _ in slots.values() for k in kept if k.raw]
        to_decode += [item for _, new in slots.values() for item in new]
        refusal = (
            refusal
            or budget.too_many_files(len(files))
            or budget.too_many_pixels(sum(item.pixels for item in to_decode))
        )
        if refusal:
            self.add_error(None, refusal)
        decode = not refusal and not self.errors
        for name, (kept, new) in slots.items():
            if refusal:
                self._show(name, kept)
            elif decode:
                self._decode(name, kept, new)
            else:
                self._show(name, kept + [self._keep(item, name) for item in new])

    def _slot(self, name: str, *, read_new: bool) -> tuple[list[Kept], list[Inspected]]:
        field = self.fields[name]
        new = []
        if read_new:
            new = self.cleaned_data.get(name) or getattr(field, "accepted", [])
        self.cleaned_data.pop(name, None)  # set again once decoded
        tokens = [t for t in self.data.getlist(self.add_prefix(name) + KEEP_SUFFIX) if t]
        # No tokens: nothing to read back (and an anonymous visitor gets no session).
        kept = self.pending.load(tokens, field=name) if tokens and self.pending else []
        if new and getattr(field, "replaces_kept", False):
            for old in kept:  # a one-file field: the file just chosen replaces the kept one
                self.pending.discard(old.token)
            kept = []
        return kept, list(new)

    def _keep(self, item: CleanFile | Inspected, name: str) -> Kept:
        if self.pending is None:
            return Kept(token="", item=item)
        return self.pending.add(item, field=name)

    def _decode(self, name: str, kept: list[Kept], new: list[Inspected]) -> None:
        done, errors = [], []
        for entry in [*kept, *new]:
            if isinstance(entry, Kept) and not entry.raw:
                done.append(entry)
                continue
            item = entry.item if isinstance(entry, Kept) else entry
            if isinstance(entry, Kept):
                self.pending.discard(entry.token)  # replaced by its decoded copy, or refused
            try:
                clean = clean_inspected(item)
            except UploadRejected as exc:
                errors.extend(f"{item.name}: {m}" for m in exc.messages)
                continue
            done.append(self._keep(clean, name))
        for error in errors:
            self.add_error(name, error)
        if self._show(name, done) and not errors:
            self.cleaned_data[name] = [k.item for k in done]

    def _show(self, name: str, kept: list[Kept]) -> bool:
        """What the re-shown form lists for a field; False when it holds too many files."""
        field = self.fields[name]
        field.kept = [k for k in kept if k.token]
        if self.pending is not None:
            lost = [k.name for k in kept if not k.token]
            if lost:
                field.lost = lost
        if len(kept) > field.max_files:
            self.add_error(name, f"Paling banyak {field.max_files} berkas untuk persyaratan ini.")
            return False
        return True

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
