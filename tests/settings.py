"""Settings of the test run: the project's own, plus django-zeal to fail any N+1 query.

pytest loads this module (pyproject.toml); `manage.py`, gunicorn and the bench load
kelurahan.settings, which never installs zeal. The middleware gives each request its own zeal
context (the test client's and the browser tests' live server's): a page or a step run from a
view that reads a relation once per row fails its test. Only requests: a test body that builds
two cases or renders two letters runs the same line twice without any page doing N+1.
"""

from kelurahan.settings import *  # noqa: F403
from kelurahan.settings import INSTALLED_APPS, MIDDLEWARE

INSTALLED_APPS = [*INSTALLED_APPS, "zeal"]
MIDDLEWARE = ["zeal.middleware.zeal_middleware", *MIDDLEWARE]
ZEAL_RAISE = True  # an N+1 is an error (zeal.NPlusOneError), not a warning
ZEAL_ALLOWLIST = [
    # zeal also reports a plain `.get()` run twice from one line in one request: a view that
    # runs two steps (each re-reads its case, `_fresh`), a sync job's task log, the admin's
    # inline formsets (one `.get()` per row id). Relation N+1s (a foreign key, reverse or
    # many-to-many read per row) stay errors; a page's own repeated queries are bounded by
    # `django_assert_max_num_queries` on every list page.
    {"model": "*", "field": "get()"},
    # TODO: the correction view (verification/views.py `correct`) builds
    # CorrectionForm, which reads `active_variants(application.service)`, then the workflow
    # re-reads the case (`_fresh`) and reads its service's variants again: one query per copy.
    # Fix it with the rewritten view (the workflow takes the form's variants, or one selector
    # reads them), then drop this entry.
    {"model": "services.Service", "field": "variants"},
    # TODO: archive-and-send (verification/workflow.py
    # `application_archive_and_send_to_rt`, found by the browser tests) checks the requirements
    # in both of its steps on two copies of the case (`_fresh`), so `requirement_statuses` reads
    # `service.requirements` twice. Read the checklist once in the new requirements read model
    # (services/requirements.py), then drop this entry.
    {"model": "services.Service", "field": "requirements"},
]
