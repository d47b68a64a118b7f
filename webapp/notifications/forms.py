"""The profile section where a user chooses which notifications also go by email."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField

from models import NotificationKind


def email_choices_form(kinds: tuple[NotificationKind, ...], current: dict[NotificationKind, bool]) -> FlaskForm:
    """A form with one checkbox per kind the user can receive (named `email_<kind>`)."""

    class EmailChoicesForm(FlaskForm):
        pass

    for kind in kinds:
        setattr(EmailChoicesForm, f"email_{kind.value}", BooleanField(kind.title, default=current.get(kind, False)))
    return EmailChoicesForm()
