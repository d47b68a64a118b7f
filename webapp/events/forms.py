"""Event registration form (shared by the page and `POST /api/v1/events`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from models.event import EventKind, Sector
from models.org import OrganizerType
from processes import bounds
from processes.orgdata import COUNTY_NAMES
from webapp.fields import DayField, LinesField, QuantityField

MAX_ORGANIZERS = 50  # organizing units named on one event


class EventForm(FlaskForm):
    name = StringField(_l("Event name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind of event"), choices=EventKind.choices, validators=[DataRequired()])
    sector = SelectField(_l("Sector"), choices=Sector.choices, validators=[DataRequired()],
                         description=_l("Decides which bureau signs off the plan with the EEB."))
    organizers = LinesField(_l("Organizing units"), validators=[DataRequired()], max_lines=MAX_ORGANIZERS,
                            max_length=200,
                            description=_l("One per line: host, co-hosts, organizers."))
    organizer_type = SelectField(_l("Type of the lead organizer"), choices=OrganizerType.choices,
                                 validators=[DataRequired()])
    participants = IntegerField(_l("Participants (expected)"),
                                validators=[InputRequired(), NumberRange(min=1, max=1_000_000)],
                                description=_l("500 or more: third-party evaluation; 200–499: self-commitment; "
                                               "fewer than 200: outside the plan's scope."))
    starts_on = DayField(_l("First day"), validators=[DataRequired()])
    ends_on = DayField(_l("Last day"), validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    county = SelectField(_l("County or district of the venue"), choices=[(c, c) for c in COUNTY_NAMES])
    fiscal_funding_requested = BooleanField(_l("Municipal fiscal funding is requested (Finance Bureau reviews)"),
                                            validators=[Optional()])
    funding_requested_cny = QuantityField(_l("Fiscal funding requested (yuan)"), validators=[Optional()],
                                          amount=bounds.CNY,
                                          description=_l("Only with fiscal funding: the amount you ask for. The "
                                                         "Finance Bureau grants at most this unless it says why."))
