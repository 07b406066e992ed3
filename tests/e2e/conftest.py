"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def _migrated_data(transactional_db):
    """Put back what the data migrations created (catalogue, role groups).

    Browser tests run in transactional tests, whose teardown empties every table; the
    serialized rollback does not reliably restore it for live-server tests.
    """
    import importlib

    from django.apps import apps
    from zeal import zeal_ignore

    from kelurahan.roles import sync_role_groups

    seed = importlib.import_module("services.migrations.0002_seed_catalogue").seed
    seed(apps, None)
    importlib.import_module("services.migrations.0014_seed_variants_and_fields").seed(apps, None)
    importlib.import_module("services.migrations.0018_seed_message_templates").seed(apps, None)
    electronic = importlib.import_module("services.migrations.0020_electronic_delivery")
    electronic.allow_downloads(apps, None)
    # Complaint message templates and the working days per kind.
    importlib.import_module("services.migrations.0021_complaints").seed(apps, None)
    # The migration's own loop, once per role (3 groups): set-up data, not a page's N+1.
    with zeal_ignore([{"model": "auth.Group", "field": "permissions"}]):
        sync_role_groups(apps)


@pytest.fixture(autouse=True)
def _demo_without_cases(monkeypatch):
    """``seed_demo`` here loads the demo office without its demo cases (verification/demo.py):
    these journeys count and find the cases they record themselves (tests/test_seed_demo.py
    tests the demo cases)."""
    from verification.apps import VerificationConfig

    monkeypatch.setattr(VerificationConfig, "seed_demo", lambda self, office: [])


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
