"""The models of ``services``, one module per idea; import them from here.

- ``catalogue``: Service, ServiceVariant, ServiceField, Requirement (what admins configure);
- ``cases``: Application (and its FSM), Attachment, ApplicationEvent, AccessLog;
- ``letters``: Letter, DocumentRender (a PDF a job must make, for the reconciliation job);
- ``sla``: SlaBreach, SweepState;
- ``notifications``: Notification;
- ``complaints``: Complaint (pengaduan, with its FSM), ComplaintEvent, ComplaintBreach,
  ComplaintDeadline (working days per kind);
- ``messages``: ResidentMessage (the resident's outbox), MessageTemplate, MessageStep,
  MessageChannel, MessageState;
- ``survey``: SurveyResponse (one SKM questionnaire), SurveyChannel;
- ``pdp``: DataBreach (the UU PDP breach register).

May import: ``kelurahan.models``, each other in that order (catalogue ← cases ← complaints ←
the rest), and ``services.letters.patterns`` (pure formatting, no models). Nothing else of
``services``: every other module imports the models, so an import from here would close a
circle.
Migrations store ``services.models._default_uuid``, ``attachment_path``, ``thumbnail_path``,
``_letter_token`` and ``_status_token``: they stay importable from here.
"""

from services.models.cases import (
    CLOSED_STATES,
    EVENT_LABELS,
    OPEN_STATES,
    QUEUE_LAST,
    AccessLog,
    Application,
    ApplicationEvent,
    ApplicationState,
    Attachment,
    Channel,
    Delivery,
    Verdict,
    _default_uuid,
    _status_token,
    attachment_path,
    thumbnail_path,
)
from services.models.catalogue import (
    DEFAULT_NUMBER_PATTERN,
    FieldKind,
    Requirement,
    RequirementKind,
    Service,
    ServiceField,
    ServiceQuerySet,
    ServiceVariant,
)
from services.models.complaints import (
    COMPLAINT_EVENT_LABELS,
    COMPLAINT_OPEN_STATES,
    Complaint,
    ComplaintBreach,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintKind,
    ComplaintMilestone,
    ComplaintState,
)
from services.models.letters import DocumentRender, Letter, LetterKind, RenderKind, _letter_token
from services.models.messages import (
    PLACEHOLDERS,
    MessageChannel,
    MessageState,
    MessageStep,
    MessageTemplate,
    ResidentMessage,
)
from services.models.notifications import Notification
from services.models.pdp import DataBreach
from services.models.sla import Milestone, SlaBreach, SweepState
from services.models.survey import SurveyChannel, SurveyResponse

__all__ = [
    "CLOSED_STATES",
    "COMPLAINT_EVENT_LABELS",
    "COMPLAINT_OPEN_STATES",
    "DEFAULT_NUMBER_PATTERN",
    "EVENT_LABELS",
    "OPEN_STATES",
    "PLACEHOLDERS",
    "QUEUE_LAST",
    "RenderKind",
    "AccessLog",
    "Application",
    "ApplicationEvent",
    "ApplicationState",
    "Attachment",
    "Channel",
    "Complaint",
    "ComplaintBreach",
    "DataBreach",
    "ComplaintDeadline",
    "ComplaintEvent",
    "ComplaintKind",
    "ComplaintMilestone",
    "ComplaintState",
    "Delivery",
    "FieldKind",
    "DocumentRender",
    "Letter",
    "LetterKind",
    "MessageChannel",
    "MessageState",
    "MessageStep",
    "MessageTemplate",
    "Milestone",
    "Notification",
    "Requirement",
    "RequirementKind",
    "ResidentMessage",
    "Service",
    "ServiceField",
    "ServiceQuerySet",
    "ServiceVariant",
    "SlaBreach",
    "SurveyChannel",
    "SurveyResponse",
    "SweepState",
    "Verdict",
    "_default_uuid",
    "_letter_token",
    "_status_token",
    "attachment_path",
    "thumbnail_path",
]
