"""Event registration form (shared by the page and `POST /api/v1/events`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from models.event import EventKind, Sector
from models.org import OrganizerType
from processes.orgdata import COUNTY_NAMES


class LinesField(TextAreaField):
    """A list of names: one per line on the page, a JSON list in the API."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            parts = valuelist if len(valuelist) > 1 else valuelist[0].splitlines()
            self.data = [p.strip() for p in parts if p.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])


class EventForm(FlaskForm):
    name = StringField(_l("Event name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of event"), choices=EventKind.choices, validators=[DataRequired()])
    sector = SelectField(_l("Sector"), choices=Sector.choices, validators=[DataRequired()],
                         description=_l("Decides which bureau signs off the plan with the EEB."))
    organizers = LinesField(_l("Organizing units"), validators=[DataRequired()],
                            description=_l("One per line: host, co-hosts, organizers."))
    organizer_type = SelectField(_l("Type of the lead organizer"), choices=OrganizerType.choices,
                                 validators=[DataRequired()])
    participants = IntegerField(_l("Participants (expected)"),
                                validators=[InputRequired(), NumberRange(min=1, max=1_000_000)],
                                description=_l("500 or more: third-party evaluation; 200–499: self-commitment; "
                                               "fewer than 200: outside the plan's scope."))
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    county = SelectField(_l("County or district of the venue"), choices=[(c, c) for c in COUNTY_NAMES])
    fiscal_funding_requested = BooleanField(_l("Municipal fiscal funding is requested (Finance Bureau reviews)"),
                                            validators=[Optional()])
