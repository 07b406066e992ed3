"""How long each SLA stage of a case took, in working seconds, stored when the stage ends.

The charts average these over thousands of cases; computing working time per row at read
time would walk the calendar once per case. So the step that ends a stage writes its working
seconds on the application, in that step's transaction (``record_stage_time``, called by
``services.workflow.application_transition``), and the charts SUM them in SQL.

The three stages add up to the case's working time from the running clock's start to its
letter:

- ``archive``: clock start (intake, or the last resubmit or reopen) → archived;
- ``verify``: archived (or the clock start, if later: a reopened case) → approved by the RT,
  which includes the wait before it was sent to the RT;
- ``issue``: approved → letter issued.

A stage that ends again (a case returned by the RT and archived anew) is overwritten with its
last run, the one that led to the letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.sla.calendar import WorkingCalendar


@dataclass(frozen=True)
class Stage:
    key: str  # "archive", "verify", "issue"
    label: str  # Indonesian, for the charts
    transition: str  # the FSM transition that ends it
    starts: str  # the milestone field it starts from (the clock start if later)
    ends: str  # the milestone field the transition sets
    field: str  # where its working seconds are stored on Application


STAGES = (
    Stage("archive", "Arsip", "archive", "", "archived_at", "archive_seconds"),
    Stage("verify", "Verifikasi RT", "approve", "archived_at", "verified_at", "verify_seconds"),
    Stage("issue", "Terbit surat", "issue", "verified_at", "issued_at", "issue_seconds"),
)
STAGE_BY_TRANSITION = {stage.transition: stage for stage in STAGES}


def stage_seconds(calendar: WorkingCalendar, case, stage: Stage) -> int | None:
    """Working seconds of ``stage`` on ``case`` (a model instance, current or historical),
    from what its milestone fields say; None when the stage has not ended."""
    end = getattr(case, stage.ends)
    if end is None:
        return None
    clock = case.sla_started_at or case.received_at
    start = getattr(case, stage.starts) if stage.starts else None
    start = max(start, clock) if start is not None else clock
    return calendar.working_seconds_between(start, end)


def record_stage_time(case, transition: str) -> None:
    """Set the working seconds of the stage ``transition`` just ended (before the save)."""
    stage = STAGE_BY_TRANSITION.get(transition)
    if stage is not None:
        setattr(case, stage.field, stage_seconds(WorkingCalendar(case.office), case, stage))
