"""Administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from models import Role
from processes.accounts import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH


class CreateUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=Role.choices)
    department = SelectField(_l("Department"), coerce=int, validate_choice=True,
                             description=_l("Required for department staff and leads."))
    organization = SelectField(_l("Organizer organisation"), coerce=int,
                               description=_l("Required for organizers."))
    verifier_body = SelectField(_l("Verification body"), coerce=int, description=_l("Required for verifiers."))
    password = PasswordField(_l("Initial password"),
                             validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
                             description=_l("At least %(n)d characters, not a common password and not made from "
                                            "the person's name; ask the person to change it.", n=MIN_PASSWORD_LENGTH))
