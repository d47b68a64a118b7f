"""Evidence bound to its owner (issue #17, threat 1): an upload can be cited only by its uploader or a
colleague of the same organisation, for one event only, and is attached to that event when first
cited, so the reviewers and verifiers of that event can open it (`processes.uploads.cite`).

Reproduction of the report: `organizer2` completed its plan with a green-electricity line citing
`organizer`'s certificate (an upload made without an event, found by its sequential id), and the line
counted as zero emissions; the file stayed unattached, so the reviewer could not open it either.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import AuditEntry, Event, User, VerifierBody, db
from models.uploads import Upload
from processes import accounting, accounts, uploads
from processes.errors import Invalid
from tests.lifecycle import PDF
from tests.security.conftest import session_client

ASSOCIATION = "济宁市文化产业协会"  # organizer2's organisation


def _user(name: str) -> User:
    return db.session.execute(select(User).filter_by(username=name)).scalar_one()


def _store(by: str, upload_dir: str, event: Event | None = None) -> Upload:
    return uploads.store(PDF, "green-power-certificate.pdf", _user(by), upload_dir, max_bytes=2**20, event=event)


def _green_line(upload_id: object) -> list[dict]:
    return [{"factor_key": "green_electricity_certified", "quantity": "5000", "evidence": upload_id},
            {"factor_key": "grid_electricity_north_china_2022", "quantity": "1000"}]


def _plan(event: Event, actor: User, estimate: list[dict]) -> accounting.AccountResult:
    from models.accounting import EmissionCategory

    return accounting.save_plan_accounting(
        event, [c.value for c in EmissionCategory], estimate,
        [{"kind": "clean_plate", "description": "光盘行动", "expected_tco2e": "0.2"}], actor)


@pytest.fixture()
def two_events(make_event, upload_dir):  # noqa: ANN001,ANN201
    """The expo company's event (organizer) and the association's (organizer2)."""
    accounting.ensure_default_factor_set()
    mine = make_event()
    theirs = make_event(organization=ASSOCIATION)
    db.session.commit()
    return mine, theirs


def test_another_organisations_upload_does_not_count_as_my_evidence(two_events, upload_dir):  # noqa: ANN001
    mine, theirs = two_events
    certificate = _store("organizer", upload_dir)  # uploaded without an event (API, no event_id)
    db.session.commit()
    with pytest.raises(Invalid) as refused:
        _plan(theirs, _user("organizer2"), _green_line(certificate.id))
    assert list(refused.value.fields) == ["estimate-0-evidence"]
    db.session.rollback()
    assert db.session.get(Upload, certificate.id).event_id is None  # not taken over


def test_the_actual_account_refuses_it_too(two_events, upload_dir):  # noqa: ANN001
    mine, theirs = two_events
    _plan(theirs, _user("organizer2"), [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10"}])
    certificate = _store("organizer", upload_dir)
    with pytest.raises(Invalid) as refused:
        accounting.save_account(theirs, _green_line(certificate.id), _user("organizer2"))
    assert list(refused.value.fields) == ["activities-0-evidence"]


def test_achieved_reductions_refuse_it_too(two_events, upload_dir):  # noqa: ANN001
    from models.accounting import ReductionMeasure

    mine, theirs = two_events
    _plan(theirs, _user("organizer2"), [{"factor_key": "grid_electricity_north_china_2022", "quantity": "10"}])
    measure = db.session.execute(select(ReductionMeasure).filter_by(event_id=theirs.id)).scalar_one()
    certificate = _store("organizer", upload_dir)
    with pytest.raises(Invalid) as refused:
        accounting.report_reductions(theirs, [{"measure_id": measure.id, "achieved_tco2e": "0.2",
                                               "evidence": certificate.id}], _user("organizer2"))
    assert "measures-0-evidence" in refused.value.fields


def test_own_upload_is_attached_when_first_cited_and_the_reviewers_can_open_it(app, two_events, upload_dir):  # noqa: ANN001
    mine, _theirs = two_events
    certificate = _store("organizer", upload_dir)
    result = _plan(mine, _user("organizer"), _green_line(certificate.id))
    assert result.total == Decimal("0.678")  # the certified green kWh count zero, with their certificate
    mine.verifier_body_id = db.session.execute(select(VerifierBody.id)).scalars().first()
    db.session.commit()
    assert db.session.get(Upload, certificate.id).event_id == mine.id
    attached = db.session.execute(select(AuditEntry).filter_by(action="upload.attached")).scalar_one()
    assert attached.event_id == mine.id and attached.detail["upload_id"] == certificate.id
    url = f"/events/{mine.id}/files/{certificate.id}"
    for reader in ("commerce", "eeb", "verifier", "auditor"):  # reviewers, the verifier, the auditor
        assert session_client(app, reader).get(url).status_code == 200, reader
    assert session_client(app, "organizer2").get(url).status_code == 404


def test_the_same_upload_cannot_support_two_events(two_events, make_event, upload_dir):  # noqa: ANN001
    first, _theirs = two_events
    second = make_event()  # the same organizer's other event
    certificate = _store("organizer", upload_dir)
    _plan(first, _user("organizer"), _green_line(certificate.id))
    with pytest.raises(Invalid) as refused:
        _plan(second, _user("organizer"), _green_line(certificate.id))
    assert list(refused.value.fields) == ["estimate-0-evidence"]


def test_a_colleague_of_the_same_organisation_may_cite_it(two_events, upload_dir):  # noqa: ANN001
    """The rule chosen (docs/security.md): the uploader or a colleague of the uploader's organisation."""
    mine, _theirs = two_events
    colleague = accounts.create_user("expo_colleague", "Orchid-lantern-river-58", _user("organizer").role,
                                     organization=_user("organizer").organization)
    certificate = uploads.store(PDF, "certificate.pdf", colleague, upload_dir, max_bytes=2**20)
    _plan(mine, _user("organizer"), _green_line(certificate.id))
    assert certificate.event_id == mine.id


def test_a_department_users_unattached_upload_is_not_an_organizers_evidence(two_events, upload_dir):  # noqa: ANN001
    mine, _theirs = two_events
    certificate = _store("commerce", upload_dir)
    with pytest.raises(Invalid):
        _plan(mine, _user("organizer"), _green_line(certificate.id))


def test_someone_elses_and_a_missing_upload_read_the_same(two_events, upload_dir):  # noqa: ANN001
    """No probing of sequential ids: another's file and no file give the same message."""
    mine, theirs = two_events
    certificate = _store("organizer", upload_dir)
    messages = []
    for cited in (certificate.id, certificate.id + 1000):
        with pytest.raises(Invalid) as refused:
            uploads.cite(cited, event=theirs, actor=_user("organizer2"), field="evidence")
        messages.append([str(m) for m in refused.value.fields["evidence"]])
    assert messages[0] == messages[1]


def test_an_upload_already_attached_to_the_event_may_be_cited_by_anyone_acting_on_it(two_events, upload_dir):  # noqa: ANN001
    mine, _theirs = two_events
    reviewer_file = _store("commerce", upload_dir, event=mine)
    assert uploads.cite(str(reviewer_file.id), event=mine, actor=_user("organizer"), field="f") == reviewer_file


def test_without_an_actor_only_the_events_own_uploads_count(two_events, upload_dir):  # noqa: ANN001
    mine, _theirs = two_events
    loose = _store("organizer", upload_dir)
    with pytest.raises(Invalid):
        uploads.cite(loose.id, event=mine, actor=None, field="f")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                 st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
def test_any_value_is_refused_cleanly_unless_it_names_a_citable_upload(two_events, value):  # noqa: ANN001
    mine, _theirs = two_events
    try:
        upload = uploads.cite(value, event=mine, actor=_user("organizer2"), field="evidence")
    except Invalid as refused:
        assert list(refused.fields) == ["evidence"]
    else:  # only an upload already attached to this event (none here but what an earlier example attached)
        assert upload.event_id == mine.id and not isinstance(value, bool)


def test_a_comment_attachment_is_the_events_and_the_reviewer_can_open_it(app, two_events, upload_dir):  # noqa: ANN001
    import io

    from tests.conftest import CSRF_RE

    mine, _theirs = two_events
    organizer = session_client(app, "organizer")
    page = organizer.get(f"/events/{mine.id}").get_data(as_text=True)
    token = next(m.group(1) or m.group(2) for m in CSRF_RE.finditer(page))
    organizer.post(f"/events/{mine.id}/comments", content_type="multipart/form-data",
                   data={"csrf_token": token, "body": "证书", "attachment": (io.BytesIO(PDF), "certificate.pdf")})
    upload = db.session.execute(select(Upload).order_by(Upload.id.desc())).scalars().first()
    assert upload.event_id == mine.id
    assert session_client(app, "commerce").get(f"/events/{mine.id}/files/{upload.id}").status_code == 200


# --------------------------------------------------------------------------- offsets, sinks and the evaluation


def test_offsets_certificate_of_another_event_is_refused(two_events, make_event, upload_dir):  # noqa: ANN001
    """Cancellations and sink projects (offsets.evidence_upload): one's own upload attached to another event."""
    from processes import offsets

    first, _theirs = two_events
    second = make_event()
    certificate = _store("organizer", upload_dir, event=first)
    with pytest.raises(Invalid):
        offsets.evidence_upload(certificate.id, "certificate", event=second, actor=_user("organizer"))


def test_offsets_certificate_is_attached_when_cited(two_events, upload_dir):  # noqa: ANN001
    from processes import offsets

    mine, _theirs = two_events
    certificate = _store("organizer", upload_dir)
    offsets.evidence_upload(certificate.id, "certificate", event=mine, actor=_user("organizer"))
    assert certificate.event_id == mine.id


def test_evaluation_report_of_a_colleague_may_be_cited(two_events, upload_dir):  # noqa: ANN001
    """The third-party evaluation's report (task_handlers._upload) follows the same rule as the rest."""
    from processes import task_handlers

    mine, _theirs = two_events
    colleague = accounts.create_user("expo_colleague2", "Orchid-lantern-river-58", _user("organizer").role,
                                     organization=_user("organizer").organization)
    report = uploads.store(PDF, "report.pdf", colleague, upload_dir, max_bytes=2**20)
    assert task_handlers._upload(report.id, mine, "report", _user("organizer")) == report  # noqa: SLF001
