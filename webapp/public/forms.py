"""The policy document form (EEB staff; R-PLAT-1 "policy publication")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Length, Optional


class PolicyForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese, as issued)"), validators=[DataRequired(), Length(max=300)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=300)])
    issuer = StringField(_l("Issuing authority"), validators=[DataRequired(), Length(max=200)],
                         description=_l("e.g. 济宁市生态环境局"))
    number = StringField(_l("Document number"), validators=[Optional(), Length(max=80)],
                         description=_l("e.g. 济环字〔2023〕40号"))
    published_on = DateField(_l("Date of issue"), validators=[Optional()])
    url = URLField(_l("Link to the official publication"), validators=[Optional(), Length(max=500)])
    document = FileField(_l("The document as a file (PDF)"),
                         description=_l("Optional; replaces the file attached before."))
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=4000)],
                            description=_l("What the policy says, in a few sentences, for the public."))
