"""Tables only: one module per aggregate. Import every module so metadata is complete."""

from models.accounting import ActivityLine, BoundaryCategory, EmissionFactor, FactorSet, ReductionMeasure
from models.audit import AuditCheckpoint, AuditEntry
from models.confirmation import Commitment, Evaluation
from models.db import db
from models.event import Event, EventDeadline
from models.notifications import EmailOutbox, Notification, NotificationKind, NotificationPreference
from models.org import ApiToken, Department, Organization, Role, User, VerifierBody, VerifierConflict
from models.policy import PolicyDocument
from models.registry import CancellationCheck, RegistryImport, RetirementRecord
from models.tasks import Comment, Decision
from models.uploads import Upload
from models.workflow import HumanTask, ProcessInstance, ProcessMigration, ProcessVersion

__all__ = [
    "db",
    "ActivityLine",
    "BoundaryCategory",
    "EmissionFactor",
    "FactorSet",
    "ReductionMeasure",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "CancellationCheck",
    "Comment",
    "Commitment",
    "Decision",
    "Department",
    "EmailOutbox",
    "Event",
    "EventDeadline",
    "Evaluation",
    "HumanTask",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "Organization",
    "PolicyDocument",
    "ProcessInstance",
    "ProcessMigration",
    "ProcessVersion",
    "RegistryImport",
    "RetirementRecord",
    "Role",
    "Upload",
    "User",
    "VerifierBody",
    "VerifierConflict",
]
