"""One WTForms form per BPMN user task (API.md task table), shared by the pages and the API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from models.accounting import EmissionCategory, ReductionKind
from models.offsets import Instrument, Registry
from models.sinks import SinkType
from processes import bounds
from processes.orgdata import COUNTY_NAMES
from webapp.fields import DayField, IdField, QuantityField, RowsField

MAX_PEOPLE = 999_999_999  # travellers of one transport line (the calculator's bound of a quantity)


class UploadIdField(IdField):
    """The id of an upload. Pages render a file input beside it (`<name>_file`); the route stores
    the file and fills in the id. API callers upload first (`POST /api/v1/uploads`)."""


REVIEW_CHOICES = [("approve", _l("Approve")), ("return", _l("Return to the organizer"))]
BLANK = [("", "—")]


# --------------------------------------------------------------------------- rows
class BoundaryRowForm(Form):
    # Checked by the service (and the API's schema): rows the form pads to six are blank, not invalid.
    category = SelectField(_l("Category"), choices=EmissionCategory.choices, validate_choice=False)
    included = BooleanField(_l("Included in the boundary"))
    reason = StringField(_l("Reason for excluding it"), validators=[Optional(), Length(max=500)])


class ActivityLineForm(Form):
    factor_key = SelectField(_l("Emission source (factor)"), choices=BLANK, validate_choice=False)
    quantity = QuantityField(_l("Quantity"), validators=[Optional()], amount=bounds.ACTIVITY)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)],
                       description=_l("Must equal the factor's unit; no silent conversions."))
    distance_km = QuantityField(_l("Distance (km)"), validators=[Optional()], amount=bounds.DISTANCE,
                               description=_l("Transport by distance: quantity = distance × people."))
    people = IntegerField(_l("People"), validators=[Optional(), NumberRange(min=1, max=MAX_PEOPLE)])
    note = StringField(_l("Note / assumption"), validators=[Optional(), Length(max=500)])
    evidence = UploadIdField(_l("Evidence"), validators=[Optional()],
                             description=_l("Green electricity counts as zero only with a certificate."))  # R-RED-1


class MeasureForm(Form):
    kind = SelectField(_l("Measure"), choices=BLANK + ReductionKind.choices(), validate_choice=False)
    description = StringField(_l("Description"), validators=[Optional(), Length(max=1000)])
    expected_tco2e = QuantityField(_l("Expected reduction (t CO2e)"), validators=[Optional()], amount=bounds.TONNES)


class OffsetPlanLineForm(Form):
    instrument = SelectField(_l("Offset product"), choices=BLANK + Instrument.choices(), validate_choice=False)
    quantity_tco2e = QuantityField(_l("Quantity (t CO2e)"), validators=[Optional()], amount=bounds.TONNES)
    reason = StringField(_l("Reason for a lower priority"), validators=[Optional(), Length(max=1000)],
                         description=_l("Required when a higher-priority product is available."))  # R-OFF-4


class AchievedForm(Form):
    measure_id = IdField(widget=HiddenInput(), validators=[Optional()])
    achieved_tco2e = QuantityField(_l("Achieved reduction (t CO2e)"), validators=[Optional()], amount=bounds.TONNES)
    evidence = UploadIdField(_l("Evidence"), validators=[Optional()])


class CancellationLineForm(Form):
    instrument = SelectField(_l("Offset product"), choices=BLANK + Instrument.choices(), validate_choice=False)
    registry = SelectField(_l("Registry where cancelled"), choices=BLANK + Registry.choices(),
                           validate_choice=False)
    registry_name = StringField(_l("Registry name (if other)"), validators=[Optional(), Length(max=200)])
    project = StringField(_l("Project name / id"), validators=[Optional(), Length(max=200)])
    project_code = StringField(_l("Project code at the registry"), validators=[Optional(), Length(max=80)],
                               description=_l("Required for units of a new sink project: its code."))  # R-OFF-2
    vintage = StringField(_l("Vintage"), validators=[Optional(), Length(max=20)])
    serial_from = StringField(_l("Serial number from"), validators=[Optional(), Length(max=120)])
    serial_to = StringField(_l("Serial number to"), validators=[Optional(), Length(max=120)],
                            description=_l("Leave empty for a single certificate number."))
    quantity_tco2e = QuantityField(_l("Quantity (t CO2e)"), validators=[Optional()], amount=bounds.TONNES)
    cancelled_on = DayField(_l("Cancelled on"), validators=[Optional()])
    certificate = UploadIdField(_l("Cancellation certificate (PDF or image)"), validators=[Optional()])
    donor = StringField(_l("Donor (if donated)"), validators=[Optional(), Length(max=200)])  # R-OFF-3
    reason = StringField(_l("Reason for a lower priority"), validators=[Optional(), Length(max=1000)])


# --------------------------------------------------------------------------- task forms
class PreparePlanForm(FlaskForm):
    """prepare_plan (Organizer, R-PLAN-1)."""

    boundary = RowsField(FormField(BoundaryRowForm), label=_l("Accounting boundary"),
                         min_entries=len(EmissionCategory), max_rows=len(EmissionCategory),
                         shorthand=("category", {"included": True}))
    estimate = RowsField(FormField(ActivityLineForm), label=_l("Estimated activities"), min_entries=1)
    measures = RowsField(FormField(MeasureForm), label=_l("Planned reduction measures"), min_entries=1)
    offset_plan = RowsField(FormField(OffsetPlanLineForm), label=_l("Planned offsets"), min_entries=1)
    new_sink_project = BooleanField(_l("Offset (partly) by a new forestry or marine sink project"))
    verifier_body = SelectField(_l("Commissioned third-party body"), coerce=int, choices=[(0, "—")],
                                validate_choice=False,
                                description=_l("Required for events of 500 or more participants."))  # R-TIER-1
    confirm_implausible = BooleanField(_l("I confirm that these unusual figures are correct"))
    implausible_reason = TextAreaField(_l("Why the unusual figures are right"),
                                       validators=[Optional(), Length(max=1000)])


class ReviewForm(FlaskForm):
    """review_plan_sector, review_plan_eeb."""

    decision = RadioField(_l("Decision"), choices=REVIEW_CHOICES, validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)],
                            description=_l("Required when returning the plan."))


class FundingReviewForm(ReviewForm):
    """review_funding (Finance, R-DEPT-FIN)."""

    amount_cny = QuantityField(_l("Funding granted (CNY)"), validators=[Optional()], amount=bounds.CNY,
                               description=_l("At most the amount the organizer requested, unless you say why "
                                              "more below."))
    over_request_reason = TextAreaField(_l("Why more than requested"), validators=[Optional(), Length(max=1000)])


class ReportReductionsForm(FlaskForm):
    """report_reductions (Organizer, R-RED-1)."""

    measures = RowsField(FormField(AchievedForm), label=_l("Achieved reductions"), min_entries=0)


class AccountEmissionsForm(FlaskForm):
    """account_emissions (Organizer, R-ACC-1)."""

    activities = RowsField(FormField(ActivityLineForm), label=_l("Actual activities"), min_entries=1)
    confirm_implausible = BooleanField(_l("I confirm that these unusual figures are correct"))
    implausible_reason = TextAreaField(_l("Why the unusual figures are right"),
                                       validators=[Optional(), Length(max=1000)],
                                       description=_l("Asked when a figure is far from the plan's estimate or "
                                                      "from what one event plausibly emits."))


class CancelUnitsForm(FlaskForm):
    """cancel_units (Organizer, R-CAN-1, R-CAN-2)."""

    cancellations = RowsField(FormField(CancellationLineForm), label=_l("Cancelled units"), min_entries=1)


class RegisterSinkProjectForm(FlaskForm):
    """register_sink_project (Organizer, R-OFF-1, R-TIME-2)."""

    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=200)])
    sink_type = SelectField(_l("Sink type"), choices=SinkType.choices)
    project_code = StringField(_l("Project code at the registry"), validators=[Optional(), Length(max=80)])
    location = StringField(_l("Location"), validators=[DataRequired(), Length(max=200)])
    county = SelectField(_l("County or district of the project"), choices=BLANK + [(c, c) for c in COUNTY_NAMES],
                         validators=[Optional()],
                         description=_l("Leave empty for the county of the event's venue."))
    area_ha = QuantityField(_l("Area (ha)"), validators=[DataRequired()], amount=bounds.HECTARES)
    expected_tco2e = QuantityField(_l("Expected sequestration (t CO2e)"), validators=[DataRequired()],
                                   amount=bounds.TONNES)
    crediting_period_years = IntegerField(_l("Crediting period (years)"),
                                          validators=[DataRequired(), NumberRange(min=1, max=100)])
    applied_on = DayField(_l("Application date"), validators=[DataRequired()])


class ValidateSinkProjectForm(FlaskForm):
    """validate_sink_project (Natural Resources, R-DEPT-NR)."""

    monitoring_report = UploadIdField(_l("Measurement and monitoring report"), validators=[Optional()])
    validated_tco2e = QuantityField(_l("Validated sequestration (t CO2e)"), validators=[Optional()],
                                    amount=bounds.TONNES)
    validated_on = DayField(_l("Validated on"), validators=[Optional()])
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Validated")),
                                                   ("return", _l("Return to the organizer"))],
                          validators=[InputRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class EvaluationForm(FlaskForm):
    """third_party_evaluation (Verifier, R-TIER-1)."""

    body_name = StringField(_l("Evaluation body"), validators=[Optional(), Length(max=200)])
    accreditation_no = StringField(_l("Accreditation number"), validators=[Optional(), Length(max=80)])
    report = UploadIdField(_l("Evaluation report (PDF)"), validators=[Optional()])
    verified_tco2e = QuantityField(_l("Verified emissions (t CO2e)"), validators=[InputRequired()],
                                   amount=bounds.TONNES)
    conclusion = RadioField(_l("Conclusion"), choices=[("neutral", _l("Carbon neutral")),
                                                       ("not_neutral", _l("Not carbon neutral"))],
                            validators=[InputRequired()])
    comment = TextAreaField(_l("Reasons / comment"), validators=[Optional(), Length(max=5000)])


class CommitmentForm(FlaskForm):
    """sign_commitment (Organizer, R-TIER-2)."""

    confirmation_method = StringField(_l("How the result is confirmed"), validators=[DataRequired(), Length(max=200)],
                                      default="自我承诺")
    neutral_on = DayField(_l("Date carbon neutrality was reached"), validators=[DataRequired()])
    truthful = BooleanField(_l("We declare the above to be true and answer for its truthfulness"))


class FollowUpForm(FlaskForm):
    """follow_up_overdue (EEB or Natural Resources, R-TIME-1, R-TIME-2)."""

    action_taken = StringField(_l("Action taken"), validators=[DataRequired(), Length(max=500)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


TASK_FORMS: dict[str, type[FlaskForm]] = {
    "prepare_plan": PreparePlanForm,
    "review_plan_sector": ReviewForm,
    "review_plan_eeb": ReviewForm,
    "review_funding": FundingReviewForm,
    "report_reductions": ReportReductionsForm,
    "account_emissions": AccountEmissionsForm,
    "cancel_units": CancelUnitsForm,
    "register_sink_project": RegisterSinkProjectForm,
    "validate_sink_project": ValidateSinkProjectForm,
    "third_party_evaluation": EvaluationForm,
    "sign_commitment": CommitmentForm,
    "follow_up_overdue": FollowUpForm,
    "cancel_remainder": CancelUnitsForm,
    "review_correction": ReviewForm,
    "correct_account": AccountEmissionsForm,
}
