import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kelurahan.settings")
application = get_asgi_application()

from kelurahan.jobkey import check_on_start  # noqa: E402  (needs the settings loaded above)

check_on_start("web")  # as in wsgi.py: refuse a DJANGO_SECRET_KEY the job cluster does not share
