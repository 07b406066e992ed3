import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kelurahan.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve without a valid SITE_URL (kelurahan.E002).
from kelurahan.checks import refuse_to_start  # noqa: E402

refuse_to_start()
