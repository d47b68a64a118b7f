"""Tables only: one module per aggregate. Import every module so metadata is complete."""

from models.audit import AuditEntry
from models.db import db
from models.event import Event
from models.org import ApiToken, Department, Organization, Role, User, VerifierBody
from models.workflow import HumanTask, ProcessInstance, ProcessVersion
from models.uploads import Upload

__all__ = [
    "db",
    "ApiToken",
    "AuditEntry",
    "Department",
    "Event",
    "HumanTask",
    "Organization",
    "ProcessInstance",
    "ProcessVersion",
    "Role",
    "Upload",
    "User",
    "VerifierBody",
]
