"""The checklist read model: each requirement of a case with its files, and what is missing.

Read by the case page, the receipt, the archive step (``services.workflow``), the RT panel and
the archive bundle's cover sheet. May import: ``services.models``, ``services.catalogue``.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.catalogue import catalogue, requirements_for
from services.models import Application, Attachment, Requirement, RequirementKind, Verdict


@dataclass(frozen=True)
class RequirementStatus:
    requirement: Requirement
    attachments: list[Attachment]
    satisfied: bool
    waived_by_rt: bool  # the RT chair's approval in the portal will stand in for it
    problem: str  # empty when satisfied


def requirement_statuses(application: Application, *, cached=False) -> list[RequirementStatus]:
    """Each requirement of the service with its files and whether it is met; ``cached``: the
    requirements from the process's catalogue (``services.catalogue.catalogue``, the pages)."""
    attachments = getattr(application, "prefetched_attachments", None)
    if attachments is None:
        attachments = list(application.attachments.all())
    statuses = []
    requirements = (
        catalogue(application.service).requirements_for(application.variant)
        if cached
        else requirements_for(application.service, application.variant)
    )
    for requirement in requirements:
        mine = [a for a in attachments if a.requirement_id == requirement.pk]
        accepted = any(a.verdict == Verdict.ACCEPTED for a in mine)
        pending = any(a.verdict == Verdict.PENDING for a in mine)
        waivable = (
            requirement.kind == RequirementKind.RT_COVER_LETTER
            and application.service.rt_approval_replaces_cover_letter
        )
        given_in_portal = waivable and application.rt_cover_letter_at is not None
        if accepted or not requirement.required or given_in_portal or (waivable and not mine):
            problem = ""
        elif pending:
            problem = f"{requirement.label}: belum diperiksa"
        elif mine:
            reasons = "; ".join(a.verdict_reason for a in mine if a.verdict == Verdict.REJECTED)
            problem = f"{requirement.label}: ditolak ({reasons})"
        else:
            problem = f"{requirement.label}: belum ada"
        statuses.append(
            RequirementStatus(
                requirement=requirement,
                attachments=mine,
                satisfied=not problem,
                waived_by_rt=waivable and not accepted and (not mine or given_in_portal),
                problem=problem,
            )
        )
    return statuses


def missing_requirements(application: Application) -> list[str]:
    return [s.problem for s in requirement_statuses(application) if s.problem]
