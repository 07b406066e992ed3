"""The tables of a run, read back from the rows it left (not from the engine's own notes).

Stages of a case, in working hours of the office's calendar
(``WorkingCalendar.working_seconds_between``):

- ``arsip``: from the start of the SLA clock (intake, or the last resubmission) to the archive;
- ``rt``: from the request to the RT chair to the chair's approval;
- ``terbit``: from the approval to the numbered letter;
- ``serah``: from the letter to the hand-over (pickup, courier or download).

A stage still running at the end of the period counts up to the end (so a chair who never
answers shows as the longest RT). A milestone (day 1 archive, day 2 RT, day 3 letter) counts for
a case when it fell due within the period and the case was waiting for it, or reached it (the
sweep's rule: an incomplete case's clock is stopped); it is on time when reached by its
deadline. "On time" for a service or an RT: the letter issued within the 3 working days.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count

from services.models import (
    Application,
    ApplicationState,
    Complaint,
    ComplaintState,
    Milestone,
    Notification,
    SlaBreach,
    SurveyResponse,
)
from services.sla import WorkingCalendar
from services.sla.sweep import MILESTONES
from services.survey import ikm
from simulation.engine import Outcome

STAGES = {
    "arsip": ("clock_start", "archived_at"),
    "rt": ("sent_to_rt_at", "verified_at"),
    "terbit": ("verified_at", "issued_at"),
    "serah": ("issued_at", "completed_at"),
}
STAGE_OF_MILESTONE = {Milestone.ARCHIVE: "arsip", Milestone.VERIFY: "rt", Milestone.ISSUE: "terbit"}
FIELDS = [
    "pk",
    "office_id",
    "service__code",
    "rt__number",
    "rt__rw__number",
    "state",
    "received_at",
    "sla_started_at",
    "archived_at",
    "sent_to_rt_at",
    "verified_at",
    "issued_at",
    "completed_at",
    "archive_due",
    "verify_due",
    "issue_due",
]
WORKING_HOUR = 3600


@dataclass
class Row:
    """One case as the tables see it: its stages in working hours and its milestones."""

    group: dict[str, str]
    hours: dict[str, float]  # stage -> working hours (stages that began)
    milestones: dict[str, bool]  # milestone -> on time (milestones that count)


def _stage_hours(calendar: WorkingCalendar, case: dict, end) -> dict[str, float]:
    hours = {}
    for stage, (begin, finish) in STAGES.items():
        started = case[begin]
        if started is None or started > end:
            continue
        stopped = case[finish] or end
        if case[finish] is None and case["state"] not in _waiting(stage):
            continue  # the case left this stage another way (incomplete, rejected...)
        hours[stage] = calendar.working_seconds_between(started, min(stopped, end)) / WORKING_HOUR
    return hours


def _waiting(stage: str) -> tuple[str, ...]:
    S = ApplicationState
    return {
        "arsip": (S.RECEIVED,),
        "rt": (S.IN_VERIFICATION,),
        "terbit": (S.VERIFIED,),
        "serah": (S.ISSUED,),
    }[stage]


def _milestones(case: dict, end) -> dict[str, bool]:
    counted = {}
    for milestone, (due_field, reached_field, waiting) in MILESTONES.items():
        due, reached = case[due_field], case[reached_field]
        if due is None or due > end:
            continue
        if reached is not None and reached <= due:
            counted[milestone.value] = True
        elif case["state"] in waiting or reached is not None:
            counted[milestone.value] = False
    return counted


def _rows(outcome: Outcome) -> list[Row]:
    calendars = {office.pk: WorkingCalendar(office) for office in outcome.offices}
    codes = {office.pk: office.code for office in outcome.offices}
    cases = (
        Application.objects.filter(
            office__in=outcome.offices,
            received_at__gte=outcome.start,
            received_at__lt=outcome.end,
        )
        .order_by("pk")
        .values(*FIELDS)
    )
    rows = []
    for case in cases:
        case["clock_start"] = case["sla_started_at"] or case["received_at"]
        rt = f"{case['rt__number']:03}/{case['rt__rw__number']:03}"
        several = len(outcome.offices) > 1
        rows.append(
            Row(
                group={
                    "service": case["service__code"],
                    "rt": f"{codes[case['office_id']]} {rt}" if several else rt,
                },
                hours=_stage_hours(calendars[case["office_id"]], case, outcome.end),
                milestones=_milestones(case, outcome.end),
            )
        )
    return rows


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (p90: the value 90% of cases stay at or under)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _hours(values: list[float]) -> dict:
    return {
        "median": round(statistics.median(values), 1) if values else None,
        "p90": round(percentile(values, 0.9), 1) if values else None,
    }


def _share(on_time: int, due: int) -> float | None:
    return round(100 * on_time / due, 1) if due else None


def _group_table(rows: list[Row], key: str, breaches: dict) -> list[dict]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.group[key]].append(row)
    table = []
    for name in sorted(groups):
        members = groups[name]
        issue = [r.milestones[Milestone.ISSUE] for r in members if Milestone.ISSUE in r.milestones]
        table.append(
            {
                key: name,
                "cases": len(members),
                "due": len(issue),
                "on_time": sum(issue),
                "share_on_time": _share(sum(issue), len(issue)),
                "breaches": breaches.get(name, 0),
                "hours": {
                    stage: _hours([r.hours[stage] for r in members if stage in r.hours])
                    for stage in ("arsip", "rt", "terbit")
                },
            }
        )
    return table


def build_report(outcome: Outcome, config_dict: dict) -> dict:
    """Every number of the run's report (deterministic: no wall time, no codes, no ids)."""
    rows = _rows(outcome)
    breaches = SlaBreach.objects.filter(
        application__office__in=outcome.offices,
        application__received_at__gte=outcome.start,
        application__received_at__lt=outcome.end,
    )
    several = len(outcome.offices) > 1
    by_milestone = dict(
        breaches.values_list("milestone").annotate(n=Count("id")).order_by("milestone")
    )
    by_service = dict(
        breaches.values_list("application__service__code").annotate(n=Count("id")).order_by()
    )
    by_rt: dict[str, int] = defaultdict(int)
    for office, rt, rw, n in (
        breaches.values_list(
            "application__office__code", "application__rt__number", "application__rt__rw__number"
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_rt[f"{office} {rt:03}/{rw:03}" if several else f"{rt:03}/{rw:03}"] += n
    milestones = []
    for milestone in Milestone:
        counted = [r.milestones[milestone] for r in rows if milestone in r.milestones]
        stage = STAGE_OF_MILESTONE[milestone]
        milestones.append(
            {
                "milestone": milestone.value,
                "label": milestone.label,
                "due": len(counted),
                "on_time": sum(counted),
                "share_on_time": _share(sum(counted), len(counted)),
                "breaches": by_milestone.get(milestone.value, 0),
                "stage": stage,
                "hours": _hours([r.hours[stage] for r in rows if stage in r.hours]),
            }
        )
    milestones.append(
        {
            "milestone": "hand_over",
            "label": "Diserahkan",
            "due": None,
            "on_time": None,
            "share_on_time": None,
            "breaches": None,
            "stage": "serah",
            "hours": _hours([r.hours["serah"] for r in rows if "serah" in r.hours]),
        }
    )
    issue = milestones[2]
    return {
        "parameters": config_dict,
        "period": {
            "start": outcome.start.date().isoformat(),
            "last_day": (outcome.end - timedelta(days=1)).date().isoformat(),
            "offices": [office.code for office in outcome.offices],
            "sweep_minutes": outcome.sweep_minutes,
            "ticks": outcome.ticks,
            "sweeps": outcome.sweeps,
        },
        "summary": _summary(outcome, rows, issue),
        "milestones": milestones,
        "services": _group_table(rows, "service", by_service),
        "rts": _group_table(rows, "rt", by_rt),
    }


def _summary(outcome: Outcome, rows: list[Row], issue: dict) -> dict:
    cases = Application.objects.filter(
        office__in=outcome.offices,
        received_at__gte=outcome.start,
        received_at__lt=outcome.end,
    )
    states = dict(cases.values_list("state").annotate(n=Count("id")).order_by())
    complaints = Complaint.objects.filter(
        office__in=outcome.offices, received_at__gte=outcome.start, received_at__lt=outcome.end
    )
    responses = SurveyResponse.objects.filter(
        application__in=cases, created_at__lt=outcome.end
    ).values_list(*(f"u{i}" for i in range(1, 10)))
    result = ikm(list(responses)) if responses else None
    escalations = Notification.objects.filter(
        kind="escalation", application__in=cases, created_at__lt=outcome.end
    ).count()
    return {
        "cases": len(rows),
        "states": {state: states[state] for state in sorted(states)},
        "within_3_days": {
            "due": issue["due"],
            "on_time": issue["on_time"],
            "share": issue["share_on_time"],
        },
        "breaches": SlaBreach.objects.filter(application__in=cases).count(),
        "escalations": escalations,
        "complaints": dict(complaints.values_list("state").annotate(n=Count("id")).order_by()),
        "survey": {
            "responses": result.n if result else 0,
            "ikm": round(float(result.ikm), 2) if result else None,
            "grade": result.grade if result else None,
        },
        "refused_steps": len(outcome.refused),
    }


# --- text -----------------------------------------------------------------------------------------
def _num(value, places: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:.{places}f}".replace(".", ",")


def _table(headers: list[str], lines: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]
    out = [
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    out.append("  ".join("-" * w for w in widths))
    for line in lines:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(line, widths, strict=True))
            )
        )
    return out


def _hours_cells(hours: dict) -> list[str]:
    return [f"{_num(hours['median'])} / {_num(hours['p90'])}"]


def render_text(report: dict) -> str:
    """The tables as plain text (the command prints them; the README shows one)."""
    period, summary = report["period"], report["summary"]
    within = summary["within_3_days"]
    lines = [
        f"Simulasi {', '.join(period['offices'])}: {report['parameters']['days']} hari kerja, "
        f"{period['start']} s.d. {period['last_day']}, seed {report['parameters']['seed']}. "
        f"Jadwal sapuan SLA tiap {period['sweep_minutes']} menit: {period['ticks']} ketukan, "
        f"{period['sweeps']} di antaranya ada tenggat yang lewat.",
        f"Permohonan: {summary['cases']}. Surat terbit dalam 3 hari kerja: "
        f"{_num(within['share'])}% ({within['on_time']} dari {within['due']} yang jatuh tempo"
        f" dalam periode). Keterlambatan tercatat: {summary['breaches']}, eskalasi ke "
        f"Lurah/Sekretaris: {summary['escalations']}.",
        "",
        "Per tahap (jam kerja: median / p90)",
    ]
    lines += _table(
        ["Tahap", "Jatuh tempo", "Tepat waktu", "%", "Terlambat", "Jam kerja"],
        [
            [
                m["label"],
                "—" if m["due"] is None else str(m["due"]),
                "—" if m["on_time"] is None else str(m["on_time"]),
                _num(m["share_on_time"]),
                "—" if m["breaches"] is None else str(m["breaches"]),
                *_hours_cells(m["hours"]),
            ]
            for m in report["milestones"]
        ],
    )
    for key, title in (("services", "Per layanan"), ("rts", "Per RT")):
        lines += ["", f"{title} (surat terbit dalam 3 hari kerja; jam kerja: median / p90)"]
        lines += _table(
            [
                "Layanan" if key == "services" else "RT/RW",
                "Kasus",
                "Jatuh tempo",
                "%",
                "Terlambat",
                "Arsip",
                "RT",
                "Terbit",
            ],
            [
                [
                    row["service" if key == "services" else "rt"],
                    str(row["cases"]),
                    str(row["due"]),
                    _num(row["share_on_time"]),
                    str(row["breaches"]),
                    *(_hours_cells(row["hours"][stage])[0] for stage in ("arsip", "rt", "terbit")),
                ]
                for row in report[key]
            ],
        )
    survey = summary["survey"]
    complaints = (
        ", ".join(
            f"{ComplaintState(k).label.lower()} {v}"
            for k, v in sorted(summary["complaints"].items())
        )
        or "0"
    )
    ikm_text = f"IKM {_num(survey['ikm'], 2)} ({survey['grade']})" if survey["ikm"] else "IKM —"
    lines += [
        "",
        f"Pengaduan: {complaints}. SKM: {survey['responses']} jawaban, {ikm_text}. "
        f"Langkah yang ditolak alur kerja: {summary['refused_steps']}.",
    ]
    return "\n".join(lines) + "\n"
