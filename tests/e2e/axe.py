"""axe-core in the browser tests: every page a journey touches must have 0 violations."""

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()


def assert_no_axe_violations(page, what: str = "") -> None:
    results = _axe.run(page)
    violations = results.response["violations"]
    assert not violations, f"{what or page.url}: {results.generate_report()}"


# Interactive elements smaller than this are hard to hit with a thumb (WCAG 2.5.5: 44 px).
TAP_TARGET_SCRIPT = """() => {
  const small = [];
  const selector = 'a[href], button, summary, select, fieldset label, ' +
    'input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not([type=file])';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden, .skip, dialog:not([open])')) continue;
    // A link inside a sentence is exempt (WCAG 2.5.8 "inline"): its paragraph says more.
    const parent = el.parentElement;
    if (el.tagName === 'A' && style.display === 'inline' && parent &&
        parent.textContent.trim().length > el.textContent.trim().length + 1) continue;
    if (box.height < 43.5 || box.width < 43.5) {
      const name = el.textContent.trim().slice(0, 30);
      small.push(`${el.tagName} "${name}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def assert_tap_targets(page) -> None:
    small = page.evaluate(TAP_TARGET_SCRIPT)
    assert not small, f"{page.url}: tap targets under 44 px: {small}"
