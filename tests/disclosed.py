"""Events walked to where the public may see them, and the check that nothing personal or
internal reaches the public (R-DIS-1); shared by the disclosure tests of every layer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models import Event, User, db
from processes import events
from tests.lifecycle import (
    after_event,
    approve_all,
    cancellation,
    complete,
    plan_data,
    register,
    to_offsetting,
    user,
)

SECRET_COMMENT = "内部意见：预算偏高 internal remark"
REVIEW_COMMENT = "请补充交通排放 please add transport"


def sign(event: Event) -> None:
    complete(event, "sign_commitment", "organizer",
             {"confirmation_method": "自我承诺，主办单位对真实性负责", "neutral_on": event.ends_on + timedelta(days=3),
              "truthful": True}, now=after_event(event, 4))


def confirmed_self_commitment(participants: int = 300, **kwargs) -> Event:  # noqa: ANN003
    """An event walked to confirmed and disclosed, with a returned plan, a review comment and a comment."""
    event = register(participants, **kwargs)
    events.add_comment(user("organizer"), event, SECRET_COMMENT)
    complete(event, "prepare_plan", "organizer", plan_data())
    complete(event, "review_plan_sector", "commerce", {"decision": "return", "comment": REVIEW_COMMENT})
    complete(event, "review_plan_eeb", "eeb_rencheng", {"decision": "approve"})
    to_offsetting(event, achieved="0.5")
    complete(event, "cancel_units", "organizer", cancellation(event), now=after_event(event, 3))
    sign(event)
    return event


def assert_no_personal_data(text: str) -> None:
    """No person's name or e-mail, no comment, no review comment (R-DIS-1: only disclosed data)."""
    for person in db.session.execute(select(User)).scalars():
        assert person.display_name not in text
        assert not person.email or person.email not in text
    for secret in (SECRET_COMMENT, REVIEW_COMMENT, "internal remark", "please add transport"):
        assert secret not in text


def published(name: str, *, sector: str = "commerce", county: str = "任城区", starts_in_days: int = 30) -> Event:
    """An event of 300 participants whose plan is published (all reviewers approved)."""
    event = register(300, name=name, sector=sector, county=county, starts_in_days=starts_in_days)
    complete(event, "prepare_plan", "organizer", plan_data())
    approve_all(event, sector_user={"commerce": "commerce", "culture_tourism": "culture"}[sector],
                eeb_user={"任城区": "eeb_rencheng"}.get(county, "eeb"))
    return event
