"""Domain signals, sent inside the transaction that makes the change. Subscribers (notifications,
reports) write in the same transaction, so a rolled-back change announces nothing."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender=HumanTask, event=Event — a user task arrived in someone's (or a department's) inbox
task_created = _signals.signal("task-created")
#: sender=HumanTask, event=Event, actor=User, to_user=User — a lead handed a task to a colleague
task_reassigned = _signals.signal("task-reassigned")
#: sender=Event, comments=list[(task name, comment)] — a reviewer sent the plan back (R-PLAN-1)
plan_returned = _signals.signal("plan-returned")
#: sender=Event — every reviewer approved; the plan is public (R-PLAN-1)
plan_published = _signals.signal("plan-published")
#: sender=Event, kind=DeadlineKind — a deadline of the plan passed unmet (R-TIME-1, R-TIME-2)
deadline_passed = _signals.signal("deadline-passed")
#: sender=Event, conclusion=str, comment=str | None — the third-party body concluded (R-TIER-1)
evaluation_concluded = _signals.signal("evaluation-concluded")
#: sender=Event — the event's neutrality and cancellations are public (R-DIS-1)
event_disclosed = _signals.signal("event-disclosed")
#: sender=Event, cancellation=Cancellation, record=RetirementRecord | None, reason=str,
#: other_cancellation_id=int | None — the registry's data contradicts a ledger line (R-CAN-2, issue #22)
registry_conflict = _signals.signal("registry-conflict")
