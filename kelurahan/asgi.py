import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kelurahan.settings")
application = get_asgi_application()

# gunicorn runs no system checks: refuse to serve without a valid SITE_URL (kelurahan.E002).
from kelurahan.checks import refuse_to_start  # noqa: E402

refuse_to_start()

# The job key check (kelurahan.jobkey): refuse a DJANGO_SECRET_KEY the job cluster does not share.
from kelurahan.jobkey import check_on_start  # noqa: E402  (needs the settings loaded above)

check_on_start("web")  # as in wsgi.py: refuse a DJANGO_SECRET_KEY the job cluster does not share
