#!/usr/bin/env python3
"""`make audit`: pip-audit on the environment built from pyproject.toml's pins (SECURITY.md G46).

Runs pip-audit (PyPI's vulnerability data, through its JSON API) over every installed
distribution — the pinned dependencies and what they pull in — and decides:

- a reported vulnerability that `pip-audit-ignore.toml` does not record → exit 1 (CI fails): bump
  the pin to a fixed version (printed), or, when there is no fix or the flaw cannot be reached
  in this portal, record it there with a reason and a review date;
- a recorded entry past its `review_by` date, without a reason, or whose vulnerability is no
  longer reported → exit 1: decide again, or remove the entry;
- a pinned dependency that pip-audit could not audit while others were audited → exit 1;
- no dependency auditable at all (the vulnerability service did not answer: no network, or a
  registry mirror without PyPI's per-version JSON API) → "NOT AUDITED" with what failed, exit 0,
  or exit 1 with AUDIT_STRICT=1 (set it where the service is reachable).

Usage: scripts/audit.py [--report FILE]   (FILE: a pip-audit JSON report instead of running it)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "pip-audit-ignore.toml"
MAX_REVIEW_DAYS = 90
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """name -> version of every `==` pin in [project] dependencies and optional extras."""
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines += extra
    found = {}
    for line in lines:
        match = PIN.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(3)
    return found


@dataclass
class Verdict:
    failures: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    audited: int = 0
    not_audited: list[str] = field(default_factory=list)

    @property
    def service_unreachable(self) -> bool:
        return self.audited == 0 and bool(self.not_audited)


def load_ignores(path: Path = IGNORE_FILE) -> list[dict]:
    if not path.exists():
        return []
    return tomllib.loads(path.read_text()).get("ignore", [])


def decide(report: dict, ignores: list[dict], pinned: dict[str, str], today: dt.date) -> Verdict:
    verdict = Verdict()
    by_id = {}
    for entry in ignores:
        ident = str(entry.get("id", "")).strip()
        reason = str(entry.get("reason", "")).strip()
        review_by = entry.get("review_by")
        if not ident or not reason:
            verdict.failures.append(f"{IGNORE_FILE.name}: entry {ident or '?'} has no reason")
            continue
        if not isinstance(review_by, dt.date) or review_by < today:
            verdict.failures.append(
                f"{IGNORE_FILE.name}: {ident} review_by {review_by} has passed (or is missing):"
                " decide again"
            )
        elif (review_by - today).days > MAX_REVIEW_DAYS:
            verdict.failures.append(
                f"{IGNORE_FILE.name}: {ident} review_by more than {MAX_REVIEW_DAYS} days ahead"
            )
        by_id[ident] = entry

    seen_ids = set()
    audited_names = set()
    for dependency in report.get("dependencies", []):
        name = normalise(dependency["name"])
        if "skip_reason" in dependency:
            verdict.not_audited.append(f"{name}: {dependency['skip_reason']}")
            continue
        verdict.audited += 1
        audited_names.add(name)
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            seen_ids |= ids
            known = next((by_id[i] for i in sorted(ids) if i in by_id), None)
            label = f"{name} {dependency['version']}: {vuln['id']}"
            if known is not None:
                verdict.recorded.append(f"{label} (recorded: {known['reason']})")
            else:
                fix = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
                verdict.failures.append(f"{label} — fixed in: {fix}")

    if verdict.service_unreachable:
        return verdict  # nothing was audited: staleness and coverage cannot be judged
    for ident in sorted(set(by_id) - seen_ids):
        verdict.failures.append(
            f"{IGNORE_FILE.name}: {ident} is no longer reported: remove the entry"
        )
    for name in sorted(set(pinned) - audited_names):
        verdict.failures.append(f"pinned {name}=={pinned[name]} was not audited")
    return verdict


def run_pip_audit() -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "report.json"
        command = [
            sys.executable,
            "-m",
            "pip_audit",
            "--skip-editable",  # the portal itself is not on PyPI
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(out),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if not out.exists():
            sys.stderr.write(result.stderr)
            raise SystemExit(f"pip-audit failed (exit {result.returncode}) without a report")
        return json.loads(out.read_text())


def probe(name: str, version: str) -> str:
    """What PyPI's JSON API answers for the per-version URL pip-audit asks."""
    url = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - fixed https URL
            return f"{url} → HTTP {response.status}"
    except urllib.error.HTTPError as error:
        return f"{url} → HTTP {error.code}"
    except OSError as error:
        return f"{url} → {error}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", type=Path, help="a pip-audit JSON report to judge")
    options = parser.parse_args()
    report = json.loads(options.report.read_text()) if options.report else run_pip_audit()
    pinned = pins()
    verdict = decide(report, load_ignores(), pinned, dt.datetime.now(dt.UTC).date())

    for line in verdict.recorded:
        print(f"recorded: {line}")
    for line in verdict.failures:
        print(f"FAIL: {line}")
    if verdict.service_unreachable:
        print("NOT AUDITED: pip-audit could not look up any dependency.")
        print(f"  e.g. {verdict.not_audited[0]}")
        if "django" in pinned:
            print(f"  {probe('django', pinned['django'])}")
        strict = os.environ.get("AUDIT_STRICT") == "1"
        print("  AUDIT_STRICT=1: failing." if strict else "  (AUDIT_STRICT=1 makes this fail)")
        return 1 if strict or verdict.failures else 0
    for line in verdict.not_audited:
        print(f"not audited (not pinned here): {line}")
    if verdict.failures:
        return 1
    print(f"pip-audit: {verdict.audited} distributions audited, no unrecorded vulnerability.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
