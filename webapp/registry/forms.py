"""The form of a registry data import (EEB staff, issue #22)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from models.offsets import Registry

_COLUMN = _l("The column's name as in the file's first line.")


def _column(label: object) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=100)], description=_COLUMN)


class RegistryImportForm(FlaskForm):
    registry = SelectField(_l("Registry"), choices=Registry.choices(), validators=[DataRequired()])
    file = FileField(_l("The registry's export (CSV)"), validators=[FileRequired()],
                     description=_l("Verra: the transactions export; Gold Standard: the retirements export, as "
                                    "downloaded. Other registries: a CSV whose columns you name below."))
    source = StringField(_l("Where the file comes from"), validators=[Optional(), Length(max=300)],
                         description=_l("e.g. Verra registry, transactions export, downloaded 2026-04-15"))
    column_serial = _column(_l("Serial number (one column)"))
    column_serial_from = _column(_l("First serial"))
    column_serial_to = _column(_l("Last serial"))
    column_date = _column(_l("Date of the cancellation"))
    column_quantity = _column(_l("Quantity"))
    column_beneficiary = _column(_l("Beneficiary"))
    column_reason = _column(_l("Reason"))
    column_note = _column(_l("Note or purpose"))
    column_project_code = _column(_l("Project code"))
    column_project_name = _column(_l("Project name"))
    column_vintage = _column(_l("Vintage"))


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why the import is withdrawn"), validators=[DataRequired(), Length(max=2000)])
