"""The WSGI application (gunicorn, and runserver through WSGI_APPLICATION).

Loading it runs the job key check (``kelurahan.jobkey``): a web process whose
DJANGO_SECRET_KEY differs from the job cluster's refuses to start (gunicorn stops when a
worker fails to boot).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kelurahan.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve without a valid SITE_URL (kelurahan.E002).
from kelurahan.checks import refuse_to_start  # noqa: E402

refuse_to_start()

# The job key check (kelurahan.jobkey): refuse a DJANGO_SECRET_KEY the job cluster does not share.
from kelurahan.jobkey import check_on_start  # noqa: E402  (needs the settings loaded above)

check_on_start("web")
