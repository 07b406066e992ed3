"""The portal's settings with one floor variant applied (``make bench-floor`` only).

gunicorn is started with ``DJANGO_SETTINGS_MODULE=bench.floor_settings`` and
``BENCH_FLOOR_VARIANT`` naming a variant of ``bench.floor.VARIANTS``; the in-process timing
applies the same overrides with ``override_settings``, so both measure the same thing.
"""

import os

from bench.floor import overrides
from kelurahan.settings import *  # noqa: F403 - this module is those settings, one changed
from kelurahan.settings import BENCH_ENDPOINTS

if not BENCH_ENDPOINTS:  # pragma: no cover - a guard, never a production configuration
    raise RuntimeError("bench.floor_settings is for `make bench-floor` (BENCH_ENDPOINTS=1) only")

globals().update(overrides(os.environ.get("BENCH_FLOOR_VARIANT", "production"), globals()))
