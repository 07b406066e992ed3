"""The variants of the shared floor (``make bench-floor``): what each setting and each
middleware costs the logged-in "ok" view (and the cached loader the queue template).

Pure data and functions of a settings namespace: bench.floor_settings imports this while the
settings load, so nothing here may touch django.conf.
"""

from __future__ import annotations

import os
import tempfile

BASELINE = "production"
# Removing these is no floor of a logged-in page: there would be no logged-in user.
ESSENTIAL = {
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
}
FILE_CACHE_DIR = os.path.join(tempfile.gettempdir(), "kelurahan-bench-floor-cache")


def _plain_loaders(loaders: list) -> list:
    """The loaders with each cached loader replaced by the loaders it holds."""
    out = []
    for item in loaders:
        if isinstance(item, tuple) and "cached" in item[0]:
            out.extend(_plain_loaders(item[1]))
        elif isinstance(item, tuple):  # a loader wrapping others
            out.append((item[0], _plain_loaders(item[1])))
        else:
            out.append(item)
    return out


def _uncached_templates(templates: list) -> list:
    """TEMPLATES with the plain loaders instead of the cached one (development's); an engine
    without a loaders option (the Jinja2 bodies') as it is."""
    out = []
    for engine in templates:
        options = engine.get("OPTIONS", {})
        if "loaders" in options:
            engine = {
                **engine,
                "OPTIONS": {**options, "loaders": _plain_loaders(options["loaders"])},
            }
        out.append(engine)
    return out


def variants(middleware: list[str]) -> list[str]:
    """Every variant's name: the baseline, the loader, the session engines, then each
    middleware but the essential ones removed in turn."""
    return [
        BASELINE,
        "uncached template loader",
        "SESSION_ENGINE cached_db, local-memory cache",
        "SESSION_ENGINE cached_db, file cache",
        *(f"without {m}" for m in middleware if m not in ESSENTIAL),
    ]


def overrides(name: str, conf) -> dict:
    """The settings that differ from ``conf`` (a settings module's globals, or
    django.conf.settings) in the variant ``name``."""
    get = conf.get if isinstance(conf, dict) else lambda key: getattr(conf, key)
    if name == BASELINE:
        return {}
    if name == "uncached template loader":
        return {"TEMPLATES": _uncached_templates(get("TEMPLATES"))}
    if name == "SESSION_ENGINE cached_db, local-memory cache":
        return {"SESSION_ENGINE": "django.contrib.sessions.backends.cached_db"}
    if name == "SESSION_ENGINE cached_db, file cache":
        return {
            "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
            "CACHES": {
                "default": {
                    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                    "LOCATION": FILE_CACHE_DIR,
                }
            },
        }
    if name.startswith("without "):
        removed = name.removeprefix("without ")
        middleware = get("MIDDLEWARE")
        if removed not in middleware or removed in ESSENTIAL:
            raise ValueError(f"no such floor variant: {name}")
        return {"MIDDLEWARE": [m for m in middleware if m != removed]}
    raise ValueError(f"no such floor variant: {name}")
