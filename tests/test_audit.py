"""SECURITY.md G46: CI runs pip-audit on the pinned dependencies (`make audit`, scripts/audit.py).

The verdict is tested on pip-audit's JSON report format (no network in the tests): a new
vulnerability fails, a recorded one passes only while its entry has a reason and a review date
not yet passed, a stale entry fails, an unaudited pin fails, and a service that answered for
nothing is "NOT AUDITED" (failing only with AUDIT_STRICT=1).
"""

import datetime as dt
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
audit = importlib.util.module_from_spec(spec)
sys.modules["audit"] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)

TODAY = dt.date(2026, 12, 2)
PINNED = {"django": "5.2.19", "pillow": "13.0.0"}
VULN = {
    "id": "PYSEC-2026-1",
    "aliases": ["CVE-2026-0001", "GHSA-aaaa-bbbb-cccc"],
    "fix_versions": ["5.2.20"],
    "description": "…",
}


def report(django_vulns=(), skipped=()):
    deps = [
        {"name": "Django", "version": "5.2.19", "vulns": list(django_vulns)},
        {"name": "pillow", "version": "13.0.0", "vulns": []},
    ]
    deps = [d for d in deps if d["name"].lower() not in skipped]
    deps += [{"name": n, "skip_reason": f"Dependency not found on PyPI: {n}"} for n in skipped]
    return {"dependencies": deps, "fixes": []}


def entry(**overrides):
    return {
        "id": "GHSA-aaaa-bbbb-cccc",
        "package": "django",
        "reason": "No fix reachable: the flaw is in a backend we do not use.",
        "review_by": dt.date(2027, 1, 15),
        **overrides,
    }


def test_g46_a_clean_report_passes():
    verdict = audit.decide(report(), [], PINNED, TODAY)
    assert verdict.failures == [] and verdict.audited == 2


def test_g46_a_new_vulnerability_fails_ci_and_names_the_fixed_version():
    verdict = audit.decide(report([VULN]), [], PINNED, TODAY)
    assert verdict.failures == ["django 5.2.19: PYSEC-2026-1 — fixed in: 5.2.20"]


def test_g46_a_recorded_vulnerability_passes_by_any_of_its_ids():
    verdict = audit.decide(report([VULN]), [entry()], PINNED, TODAY)
    assert verdict.failures == []
    assert verdict.recorded == [
        "django 5.2.19: PYSEC-2026-1 (recorded: No fix reachable: the flaw is in a backend we do "
        "not use.)"
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"reason": ""}, "has no reason"),
        ({"review_by": dt.date(2026, 12, 1)}, "has passed"),
        ({"review_by": None}, "has passed (or is missing)"),
        ({"review_by": dt.date(2027, 6, 1)}, "more than 90 days ahead"),
    ],
)
def test_g46_a_record_without_reason_or_with_an_old_review_date_fails(overrides, message):
    verdict = audit.decide(report([VULN]), [entry(**overrides)], PINNED, TODAY)
    assert any(message in line for line in verdict.failures), verdict.failures


def test_g46_a_record_whose_vulnerability_is_gone_must_be_removed():
    verdict = audit.decide(report(), [entry()], PINNED, TODAY)
    assert verdict.failures == [
        "pip-audit-ignore.toml: GHSA-aaaa-bbbb-cccc is no longer reported: remove the entry"
    ]


def test_g46_a_pin_that_could_not_be_audited_fails_while_others_were():
    verdict = audit.decide(report(skipped=("pillow",)), [], PINNED, TODAY)
    assert verdict.failures == ["pinned pillow==13.0.0 was not audited"]


def test_g46_nothing_audited_is_reported_as_not_audited_and_fails_only_when_strict(
    tmp_path, monkeypatch
):
    unreachable = report(skipped=("django", "pillow"))
    verdict = audit.decide(unreachable, [entry()], PINNED, TODAY)
    assert verdict.service_unreachable and verdict.failures == []

    path = tmp_path / "report.json"
    path.write_text(json.dumps(unreachable))
    monkeypatch.setattr(audit, "probe", lambda name, version: f"probe {name} {version}")
    monkeypatch.setattr(sys, "argv", ["audit.py", "--report", str(path)])
    monkeypatch.delenv("AUDIT_STRICT", raising=False)
    assert audit.main() == 0
    monkeypatch.setenv("AUDIT_STRICT", "1")
    assert audit.main() == 1


def test_g46_the_cli_fails_on_a_report_with_an_unrecorded_vulnerability(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report([VULN])))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "audit.py"), "--report", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "FAIL: django 5.2.19: PYSEC-2026-1" in result.stdout


def test_g46_the_ignore_file_of_the_repository_is_valid_today():
    entries = audit.load_ignores()
    verdict = audit.decide({"dependencies": []}, entries, {}, dt.date.today())
    assert [f for f in verdict.failures if "no longer reported" not in f] == []


def test_g46_pip_audit_is_pinned_and_ci_runs_make_audit():
    assert audit.pins()["pip-audit"] == "2.10.1"
    assert re.search(r"^audit: install\n\t\$\(PY\) scripts/audit\.py$", _read("Makefile"), re.M)
    ci = _read(".ci/run")
    # The command lines, not a comment naming them (it mentions `make test-cluster`).
    commands = [line.strip() for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert commands.index("make audit") < commands.index("make test")


def test_g46_the_security_floor_of_the_pins():
    pinned = audit.pins()
    assert pinned["django"].startswith("5.2.")
    assert tuple(map(int, pinned["pillow"].split("."))) >= (12, 3, 0)
    assert tuple(map(int, pinned["weasyprint"].split(".")[:1])) >= (70,)
    # Every runtime and dev dependency is pinned exactly (the audit judges exact versions).
    assert all("==" in line for line in _dependencies()), _dependencies()


def _read(name):
    return (ROOT / name).read_text()


def _dependencies():
    import tomllib

    project = tomllib.loads(_read("pyproject.toml"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return lines
