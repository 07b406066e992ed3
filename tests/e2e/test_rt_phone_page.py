"""The RT chair's request page on a 390×844 phone: decisions on screen, a zoomable viewer."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from kelurahan.models import RT
from services import workflow as services_workflow
from services.documents.cleaning import clean_upload
from tests.conftest import jpeg_upload
from tests.e2e.axe import assert_no_axe_violations, assert_tap_targets
from tests.e2e.test_rt_chair_journey import login
from tests.factories import ApplicationFactory
from verification import workflow


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rt_request_page_on_a_phone(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    officer = get_user_model().objects.get(username="petugas")
    application = ApplicationFactory(
        officer=officer,
        rt=RT.objects.get(rw__office__code="BKS", rw__number=1, number=1),
        nik="3271014501900002",
    )
    # A second photo for one requirement, rejected: the page sets it apart.
    requirement = application.service.requirements.exclude(kind="rt_cover_letter").first()
    (extra,) = services_workflow.attachment_add(
        application=application,
        requirement=requirement,
        files=[clean_upload(jpeg_upload("kk-buram.jpg", size=(1600, 900)))],
        by=officer,
    )
    services_workflow.attachment_reject(attachment=extra, by=officer, reason="buram")
    services_workflow.attachment_accept_all(application=application, by=officer)
    workflow.application_archive_and_send_to_rt(application=application, by=officer)

    login(page, live_server.url, "ketua_rt01")
    assert_no_axe_violations(page, "rt_home")
    assert_tap_targets(page)
    page.locator(".request-row", has_text=application.code).click()
    expect(page.get_by_role("heading", name="Keputusan Anda")).to_be_visible()

    # The three decisions are on screen without scrolling.
    assert page.evaluate("window.scrollY") == 0
    for name in ("Setujui", "Kembalikan untuk diperbaiki", "Tolak"):
        button = page.get_by_role("button", name=re.compile(f"^{name}"))
        assert in_viewport(page, button), name

    # The document the officer rejected is set apart and labelled.
    rejected = page.locator(".rejected-docs")
    expect(rejected.locator("summary")).to_contain_text("Ditolak petugas (1 berkas")
    rejected.locator("summary").click()
    expect(rejected.locator(".tag.bad")).to_have_text("ditolak petugas: buram")
    assert page.locator(".gallery").first.locator("li.doc").count() == 4
    assert_no_axe_violations(page, "request")
    assert_tap_targets(page)

    # The viewer: zoom with the button, rotate, pinch with two fingers, close.
    page.locator(".gallery a[data-viewer]").first.click()
    viewer = page.locator("dialog.viewer")
    expect(viewer).to_be_visible()
    image = viewer.locator("img.viewer-img")
    expect(image).to_have_js_property("complete", True)
    before = image.evaluate("img => img.style.transform")
    viewer.get_by_role("button", name="Perbesar").click()
    expect(viewer).to_have_attribute("data-scale", "1.50")
    assert image.evaluate("img => img.style.transform") != before
    viewer.get_by_role("button", name="Putar").click()
    expect(viewer).to_have_attribute("data-rotation", "90")
    assert "rotate(90deg)" in image.evaluate("img => img.style.transform")
    assert_no_axe_violations(page, "viewer")
    assert_tap_targets(page)

    stage = viewer.locator(".viewer-stage")
    box = stage.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    stage.evaluate(
        """(stage, [cx, cy]) => {
          const fire = (type, id, x) => stage.dispatchEvent(new PointerEvent(type,
            {pointerId: id, clientX: x, clientY: cy, bubbles: true, pointerType: 'touch'}));
          fire('pointerdown', 1, cx - 20); fire('pointerdown', 2, cx + 20);
          fire('pointermove', 1, cx - 60); fire('pointermove', 2, cx + 60);
          fire('pointerup', 1, cx - 60); fire('pointerup', 2, cx + 60);
        }""",
        [cx, cy],
    )
    assert float(viewer.get_attribute("data-scale")) > 1.5 * 2.5  # fingers 3x further apart
    viewer.get_by_role("button", name="Tutup").click()
    expect(viewer).to_be_hidden()

    # 150% text: the menu wraps instead of cutting off "Ajukan untuk warga".
    page.evaluate("document.documentElement.style.fontSize = '150%'")
    link = page.get_by_role("link", name="Ajukan untuk warga")
    box = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert link.evaluate("a => a.scrollWidth <= a.clientWidth + 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('main input, main button, main a')]
          .filter(el => el.getBoundingClientRect().right > 390 - 16 + 1)
          .map(el => el.outerHTML.slice(0, 60))"""
    )
    assert not overflowing, overflowing  # nothing runs past the page's 16 px margin
    assert_tap_targets(page)

    # The assisted form asks no RT cover letter of the chair.
    page.evaluate("document.documentElement.style.fontSize = ''")
    page.goto(live_server.url + "/rt/ajukan/KTP/")
    expect(page.get_by_role("heading", name=re.compile("KTP"))).to_be_visible()
    expect(page.get_by_label("Surat pengantar RT", exact=True)).to_have_count(0)
    assert_no_axe_violations(page, "assisted form")
    assert_tap_targets(page)
