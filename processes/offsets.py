"""Offsets: the plan's priority rule (R-OFF-4), the cancellation ledger with no double counting
(R-CAN-1, R-CAN-2), the coverage and 6-month rules (R-TIME-1), and an event's offsets summary."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, extract, or_, select, text

from models import Event, Role, User, db
from models.offsets import Cancellation, Instrument, OffsetPlanLine, Registry
from models.sinks import SinkProject, SinkStatus
from models.uploads import Upload
from processes import audit, bounds, serials, uploads
from processes.dates import offset_due
from processes.errors import Conflict, Invalid

QUANTUM = Decimal("0.001")
EVIDENCE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


# --- small parsers shared with processes.sinks --------------------------------------------------


def tco2e(value: Decimal) -> str:
    """Format tonnes as the API's decimal string ("12.345"), never a float."""
    return f"{value.quantize(QUANTUM, ROUND_HALF_UP):f}"


def parse_decimal(value: Any, field: str, *, positive: bool = True, places: int = 3) -> Decimal:
    """Return a finite Decimal with at most `places` decimals (> 0 when `positive`, else ≥ 0).

    :raises Invalid: on anything else.
    """
    try:
        if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
            raise InvalidOperation
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(_l("A number is required."), {field: [_l("Enter a number, e.g. 12.5.")]}) from None
    if not number.is_finite():
        raise Invalid(_l("A number is required."), {field: [_l("Enter a number, e.g. 12.5.")]})
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise Invalid(_l("Too many decimals."), {field: [_l("At most %(n)d decimals.", n=places)]})
    if number < 0 or (positive and number == 0):
        msg = _l("Must be greater than zero.") if positive else _l("Must not be negative.")
        raise Invalid(msg, {field: [msg]})
    return number


def parse_date(value: Any, field: str, *, today: date | None = None) -> date:
    """Return a date from a date or an ISO string; not after `today` when given.

    :raises Invalid: missing, malformed or in the future.
    """
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise Invalid(_l("A date is required."), {field: [_l("Enter a date as YYYY-MM-DD.")]}) from None
    if today is not None and value > today:
        raise Invalid(_l("The date is in the future."), {field: [_l("The date may not be in the future.")]})
    return value


def parse_text(value: Any, field: str, *, max_len: int, required: bool = False) -> str | None:
    """Return stripped text or None; :raises Invalid: missing when required, or too long."""
    value = str(value).strip() if value is not None else ""
    if not value:
        if required:
            raise Invalid(_l("This field is required."), {field: [_l("Required.")]})
        return None
    if len(value) > max_len:
        raise Invalid(_l("The text is too long."), {field: [_l("At most %(n)d characters.", n=max_len)]})
    return value


def evidence_upload(upload_id: Any, field: str, *, event: Event, actor: User) -> Upload:
    """Return the uploaded PDF/image evidence under the one citing rule (`uploads.cite`: this event's,
    or an unattached one of the actor or a colleague, then attached to this event).

    :raises Invalid: missing, unknown, someone else's or another event's, or not a PDF/PNG/JPEG.
    """
    if upload_id in (None, ""):
        raise Invalid(_l("Evidence is required."), {field: [_l("Upload the certificate.")]})
    upload = uploads.cite(upload_id, event=event, actor=actor, field=field)
    if upload.content_type not in EVIDENCE_TYPES:
        raise Invalid(_l("Only PDF, PNG or JPEG files are accepted."), {field: [_l("Not a PDF or image.")]})
    return upload


def parse_choice(cls: type, value: Any, field: str) -> Any:
    """Return the enum member for `value`; :raises Invalid: an unknown value."""
    try:
        return cls(value)
    except ValueError:
        raise Invalid(_l("Unknown choice."), {field: [_l("Choose one of the listed options.")]}) from None


def collect(errors: dict[str, list], check: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one parser and return its result; on Invalid merge its field errors into `errors`, return None."""
    try:
        return check(*args, **kwargs)
    except Invalid as exc:
        for key, messages in exc.fields.items():
            errors.setdefault(key, []).extend(messages)
        return None


# --- serial numbers ----------------------------------------------------------------------------


def parse_serial_range(serial_from: str | None, serial_to: str | None = None, *, field_prefix: str = "",
                       registry: Registry = Registry.SD_INCLUSION_PLATFORM,
                       registry_name: str | None = None) -> serials.UnitRange:
    """The normalised unit range of a cancellation line at `registry` (R-CAN-2; processes/serials.py).

    :raises Invalid: as `serials.parse`.
    """
    return serials.parse(registry, serial_from, serial_to, registry_name=registry_name, field_prefix=field_prefix)


# --- offset plan (prepare_plan) ----------------------------------------------------------------


def _needs_reason(instrument: Instrument, available: Iterable[Instrument] | None) -> bool:
    """R-OFF-4: a lower priority than the best available ranked instrument needs a reason."""
    if instrument.priority is None:
        return False
    pool = [Instrument(i) for i in available] if available is not None else list(Instrument)
    ranks = [i.priority for i in pool if i.priority is not None]
    return bool(ranks) and instrument.priority > min(ranks)


def validate_offset_plan(event: Event, lines: Sequence[Mapping[str, Any]],
                         available_instruments: Iterable[Instrument | str] | None = None) -> list[OffsetPlanLine]:
    """Check the plan's offset lines and return them as unsaved rows (R-PLAN-1, R-OFF-4).

    No lines is no error here: a plan may rely on a new sink project alone (the caller decides).
    :raises Invalid: unknown instrument, quantity not > 0, or a lower-priority line without a reason
        (field "offset_plan-<i>-reason").
    """
    available = [Instrument(i) for i in available_instruments] if available_instruments is not None else None
    errors: dict[str, list] = {}
    result = []
    for i, line in enumerate(lines):
        key = f"offset_plan-{i}-"
        instrument = collect(errors, parse_choice, Instrument, line.get("instrument"), key + "instrument")
        quantity = collect(errors, parse_decimal, line.get("quantity_tco2e"), key + "quantity_tco2e")
        reason = collect(errors, parse_text, line.get("reason"), key + "reason", max_len=2000)
        if instrument is not None and reason is None and _needs_reason(instrument, available):
            errors.setdefault(key + "reason", []).append(
                _l("A lower-priority instrument needs a reason."))  # R-OFF-4
        result.append(OffsetPlanLine(event_id=event.id, position=i, instrument=instrument,
                                     quantity_tco2e=quantity, reason=reason))
    if errors:
        raise Invalid(_l("The offset plan has errors."), errors)
    return result


def replace_offset_plan(event: Event, lines: Sequence[Mapping[str, Any]], actor: User,
                        available_instruments: Iterable[Instrument | str] | None = None) -> list[OffsetPlanLine]:
    """Validate and store the event's offset plan, replacing a previous version; audited.

    :raises Invalid: as `validate_offset_plan`.
    """
    rows = validate_offset_plan(event, lines, available_instruments)
    db.session.execute(db.delete(OffsetPlanLine).where(OffsetPlanLine.event_id == event.id))
    db.session.add_all(rows)
    db.session.flush()
    audit.record(actor, "offsets.plan_recorded", event=event, data={"lines": [
        {"instrument": r.instrument.value, "quantity_tco2e": tco2e(r.quantity_tco2e), "reason": r.reason}
        for r in rows]})
    return rows


# --- cancellations (cancel_units) --------------------------------------------------------------


def _active(query: Select) -> Select:
    """Restrict to cancellations that count: not a reversal, and not reversed."""
    reversed_ids = select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))
    return query.where(Cancellation.reverses_id.is_(None), Cancellation.id.not_in(reversed_ids))


def active_cancellations(event: Event) -> list[Cancellation]:
    """Return the event's cancellations that count toward its neutrality."""
    query = _active(select(Cancellation).where(Cancellation.event_id == event.id)).order_by(Cancellation.id)
    return list(db.session.execute(query).scalars())


def _parse_cancellation(event: Event, i: int, line: Mapping[str, Any], actor: User, today: date,
                        available: list[Instrument] | None, planned_reasons: dict[Instrument, str]) -> Cancellation:
    key = f"cancellations-{i}-"
    errors: dict[str, list] = {}
    instrument = collect(errors, parse_choice, Instrument, line.get("instrument"), key + "instrument")
    registry = line.get("registry") or (instrument.default_registry if instrument else None)
    registry = collect(errors, parse_choice, Registry, registry, key + "registry")
    if instrument and registry and registry not in instrument.allowed_registries:
        errors.setdefault(key + "registry", []).append(_l(
            "%(instrument)s is cancelled at %(registry)s.",  # R-CAN-1
            instrument=instrument.title, registry=instrument.default_registry.title))
    registry_name = collect(errors, parse_text, line.get("registry_name"), key + "registry_name", max_len=200,
                             required=registry is Registry.OTHER)
    serial_from = collect(errors, parse_text, line.get("serial_from"), key + "serial_from", max_len=120,
                           required=True)
    serial_to = collect(errors, parse_text, line.get("serial_to"), key + "serial_to", max_len=120)
    units = None
    if serial_from and registry and not errors.get(key + "registry_name"):
        units = collect(errors, parse_serial_range, serial_from, serial_to, field_prefix=key, registry=registry,
                        registry_name=registry_name)
    quantity = collect(errors, parse_decimal, line.get("quantity_tco2e"), key + "quantity_tco2e")
    if registry and registry.one_tonne_per_serial and units and quantity and quantity != units.size:
        errors.setdefault(key + "quantity_tco2e", []).append(_l(
            "The quantity (%(q)s t) does not match the serial range (%(n)d units of 1 t).",
            q=tco2e(quantity), n=units.size))
    cancelled_on = collect(errors, parse_date, line.get("cancelled_on"), key + "cancelled_on", today=today)
    upload = collect(errors, evidence_upload, line.get("certificate"), key + "certificate", event=event, actor=actor)
    reason = collect(errors, parse_text, line.get("reason"), key + "reason", max_len=2000)
    if instrument and reason is None and _needs_reason(instrument, available):
        reason = planned_reasons.get(instrument)
        if reason is None:
            errors.setdefault(key + "reason", []).append(_l("A lower-priority instrument needs a reason."))  # R-OFF-4
    vintage = line.get("vintage")
    if vintage not in (None, ""):
        vintage = collect(errors, parse_decimal, vintage, key + "vintage", places=0)
        if vintage is not None and not 1990 <= vintage <= today.year:
            errors.setdefault(key + "vintage", []).append(_l("Enter the year, e.g. 2024."))
    texts = {name: collect(errors, parse_text, line.get(name), key + name, max_len=size)
             for name, size in (("project_code", 80), ("donor", 200))}
    texts["project_name"] = collect(errors, parse_text, line.get("project_name") or line.get("project"),
                                    key + "project_name", max_len=200)
    if errors:
        raise Invalid(_l("Cancellation line %(n)d has errors.", n=i + 1), errors)
    row = Cancellation(
        event_id=event.id, instrument=instrument, unit_registry=registry,
        registry_name=registry_name if registry is Registry.OTHER else None,
        vintage=int(vintage) if vintage not in (None, "") else None,
        serial_from=serial_from, serial_to=serial_to,
        serial_prefix=units.key, serial_start=units.first, serial_end=units.last,
        serial_alt_key=units.alt[0] if units.alt else None, serial_alt_start=units.alt[1] if units.alt else None,
        serial_alt_end=units.alt[2] if units.alt else None,
        quantity_tco2e=quantity, cancelled_on=cancelled_on, reason=reason,
        evidence_upload_id=upload.id, evidence_sha256=upload.sha256, recorded_by_id=actor.id,
        overdue=cancelled_on > offset_due(event.ends_on), **texts,
    )
    row.parsed_units = units  # its probes, for the check against the ledger (not stored)
    return row


def _units(row: Cancellation) -> serials.UnitRange:
    """The row's unit range: as parsed (with its probes) for a new line, else from its columns."""
    parsed = getattr(row, "parsed_units", None)  # set by _parse_cancellation on lines not yet stored
    if parsed is not None:
        return parsed
    alt = (row.serial_alt_key, row.serial_alt_start, row.serial_alt_end) if row.serial_alt_key else None
    return serials.UnitRange(row.serial_prefix, row.serial_start, row.serial_end, alt)


def _same_units(row: Cancellation) -> Any:
    """Ledger rows sharing a unit with `row` in either reading of its serials (keys name their
    namespace across registries: the Chinese registries and `other` share one)."""
    stored = ((Cancellation.serial_prefix, Cancellation.serial_start, Cancellation.serial_end),
              (Cancellation.serial_alt_key, Cancellation.serial_alt_start, Cancellation.serial_alt_end))
    return or_(*(and_(key_column == key, start_column <= last, end_column >= first)
                 for key, first, last in _units(row).all_readings()
                 for key_column, start_column, end_column in stored))


def _lock_keys(row: Cancellation) -> set[int]:
    keys = {row.serial_prefix} | ({row.serial_alt_key} if row.serial_alt_key else set())
    return {int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
            for key in keys}


def _serialize(rows: Sequence[Cancellation]) -> None:
    """Serialize check-and-insert per units key until commit (R-CAN-2).

    PostgreSQL: transaction-level advisory locks, taken after the audit chain's lock so that the
    order of locks is always the same (no deadlock with a transaction that already audited).
    SQLite: a no-op write takes the database's single write lock now, before the check.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        audit.lock_chain()
        for key in sorted(set().union(*(_lock_keys(row) for row in rows))):
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        db.session.execute(text("UPDATE cancellation SET id = id WHERE 1 = 0"))


def _overlapping(row: Cancellation) -> Cancellation | None:
    query = _active(select(Cancellation).where(_same_units(row))).order_by(Cancellation.id).limit(1)
    return db.session.execute(query).scalar()


def may_see_event(actor: User, event: Event) -> bool:
    """Whether the actor may learn which event another cancellation is for (departments, auditors,
    the same organisation)."""
    return actor.role is not Role.ORGANIZER or (
        actor.organization_id is not None and actor.organization_id == event.organization_id)


def _refuse(actor: User, event_id: int, action: str, reason: str, detail: dict[str, Any],
            error: Conflict) -> NoReturn:
    """Roll back the caller's changes, commit an audit entry of the refused attempt, raise `error`."""
    db.session.rollback()
    audit.record(actor, action, event=event_id, reason=reason, data=detail)
    db.session.commit()
    raise error


def _refuse_double_counting(event_id: int, actor: User, i: int, row: Cancellation, other: Cancellation) -> NoReturn:
    """Roll back, audit the refused attempt (committed), and raise Conflict (R-CAN-2)."""
    overlap = _units(row).overlap_size(_units(other))
    serials = row.serial_from + (f" – {row.serial_to}" if row.serial_to else "")
    if may_see_event(actor, other.event):
        message = _l("Serial numbers %(serials)s at %(registry)s (%(n)d of them) were already cancelled for "
                     "the event “%(name)s” (no. %(id)d).", serials=serials, registry=row.unit_registry.title, n=overlap,
                     name=other.event.name, id=other.event_id)
    else:
        message = _l("Serial numbers %(serials)s at %(registry)s (%(n)d of them) were already cancelled for "
                     "another event.", serials=serials, registry=row.unit_registry.title, n=overlap)
    detail = {"registry": row.unit_registry.value, "registry_name": row.registry_name, "units_key": row.serial_prefix,
              "start": row.serial_start, "end": row.serial_end, "conflicting_cancellation_id": other.id,
              "conflicting_event_id": other.event_id}
    _refuse(actor, event_id, "offsets.double_counting_refused", "R-CAN-2", detail,
            Conflict(message, {f"cancellations-{i}-serial_from": [message]}))


# --- units of new sink projects (R-OFF-2) ------------------------------------------------------


def _same_project(project: SinkProject, code: str | None, name: str | None) -> bool:
    """Whether a line's project code or name (either, in either field) names the project."""
    return any(serials.names(given, identifier) for given in (code, name)
               for identifier in (project.project_code, project.name))


def _check_sink_units(event: Event, rows: Sequence[Cancellation], actor: User) -> None:
    """R-OFF-2: units of a new sink project count only for the event the project is locked to.

    A line of the new-sink instruments must name this event's project (its code, or its name when
    it has none); any line whose project code is another event's sink project is refused.
    :raises Invalid: a sink line naming no project of this event.
    :raises Conflict: another event's project (rolled back; the attempt audited).
    """
    named = [(i, row) for i, row in enumerate(rows)
             if row.instrument.is_project or row.project_code or row.project_name]
    if not named:
        return
    projects = db.session.execute(select(SinkProject)).scalars().all()
    own = next((p for p in projects if p.event_id == event.id), None)
    for i, row in named:
        # Another event's project, by its code or name (either field, any spelling), under any instrument.
        mine = own is not None and _same_project(own, row.project_code, row.project_name)
        other = None if mine else next((p for p in projects if p.event_id != event.id
                                        and _same_project(p, row.project_code, row.project_name)), None)
        field = "project_code" if row.project_code else "project"
        if other is not None:
            msg = _l("These units come from a sink project locked to another event; they can never count for "
                     "this one.")
            _refuse(actor, event.id, "offsets.sink_units_refused", "R-OFF-2",
                    {"line": i + 1, "project_id": other.id, "locked_to_event_id": other.event_id,
                     "project_code": row.project_code, "project_name": row.project_name},
                    Conflict(msg, {f"cancellations-{i}-{field}": [msg]}))
        if row.instrument.is_project and not mine:
            msg = (_l("Name this event's sink project (%(code)s).", code=own.project_code or own.name) if own
                   else _l("This event has no sink project; choose the instrument the units were issued as."))
            raise Invalid(msg, {f"cancellations-{i}-{field}": [msg]})
        if mine and not row.instrument.is_project:
            # Its removals count once: as the sink's validated tonnes, or as its units under the sink's instrument.
            msg = _l("Units of this event's own sink project are cancelled as a new forestry or marine sink.")
            raise Invalid(msg, {f"cancellations-{i}-instrument": [msg]})


def covered_tco2e(rows: Iterable[Cancellation], sink_tco2e: Decimal) -> Decimal:
    """Tonnes that cover the account (R-OFF-1, R-CAN-2): cancelled units plus the sink project's tonnes.

    Units of the event's own sink project cancelled at the platform are the same removals as its
    validated tonnes, so the two count once: the larger of them.
    """
    units = sink_units = Decimal(0)
    for row in rows:
        if row.instrument.is_project:
            sink_units += row.quantity_tco2e
        else:
            units += row.quantity_tco2e
    return units + max(sink_units, Decimal(sink_tco2e))


def validated_sink_tco2e(event: Event) -> Decimal:
    """The validated tonnes of the event's sink project (0 until Natural Resources validates it)."""
    return db.session.execute(select(SinkProject.validated_tco2e).where(
        SinkProject.event_id == event.id, SinkProject.status == SinkStatus.VALIDATED)).scalar() or Decimal(0)


def shortfall_tco2e(event: Event, accounted_tco2e: Decimal) -> Decimal:
    """Tonnes of the account not yet covered by active cancellations and the validated sink (≥ 0)."""
    covered = covered_tco2e(active_cancellations(event), validated_sink_tco2e(event))
    return max(Decimal(accounted_tco2e) - covered, Decimal(0))


def record_cancellations(event: Event, lines: Sequence[Mapping[str, Any]], actor: User, *,
                         accounted_tco2e: Decimal, sink_covered_tco2e: Decimal = Decimal(0), today: date,
                         available_instruments: Iterable[Instrument | str] | None = None) -> list[Cancellation]:
    """Check and append the cancel_units lines to the ledger (R-CAN-1, R-CAN-2, R-OFF-3, R-OFF-4, R-TIME-1).

    No lines is fine when earlier cancellations and the sink cover the account. A lower-priority
    line without a reason takes the reason recorded for its instrument in the offset plan. Lines
    dated after the 6-month deadline are stored flagged `overdue` and audited.
    :raises Invalid: a bad line (fields "cancellations-<i>-<name>"), lines overlapping each other,
        or the event's cancellations plus `sink_covered_tco2e` falling short of `accounted_tco2e`.
    :raises Conflict: serials already cancelled (for any event), or units of another event's sink
        project (R-OFF-2); the caller's transaction is then rolled back and the refused attempt
        committed to the audit trail.
    """
    available = [Instrument(i) for i in available_instruments] if available_instruments is not None else None
    planned = db.session.execute(select(OffsetPlanLine).where(
        OffsetPlanLine.event_id == event.id, OffsetPlanLine.reason.is_not(None))).scalars()
    planned_reasons = {line.instrument: line.reason for line in planned}
    errors: dict[str, list] = {}
    rows = [collect(errors, _parse_cancellation, event, i, line, actor, today, available, planned_reasons)
            for i, line in enumerate(lines)]
    if errors:
        raise Invalid(_l("Some cancellations have errors."), errors)
    for i, row in enumerate(rows):
        for j, earlier in enumerate(rows[:i]):
            if _units(row).overlaps(_units(earlier)):
                msg = _l("These serial numbers overlap line %(n)d.", n=j + 1)
                raise Invalid(msg, {f"cancellations-{i}-serial_from": [msg]})
    _check_sink_units(event, rows, actor)
    covered = covered_tco2e([*active_cancellations(event), *rows], sink_covered_tco2e)
    if covered < accounted_tco2e:
        msg = _l("The cancellations cover %(covered)s t of the accounted %(accounted)s t; %(missing)s t are "
                 "missing.", covered=tco2e(covered), accounted=tco2e(accounted_tco2e),
                 missing=tco2e(accounted_tco2e - covered))
        raise Invalid(msg, {"cancellations": [msg]})
    event_id = event.id
    _serialize(rows)
    for i, row in enumerate(rows):
        other = _overlapping(row)
        if other is not None:
            _refuse_double_counting(event_id, actor, i, row, other)
    db.session.add_all(rows)
    db.session.flush()
    for row in rows:
        audit.record(actor, "offsets.cancelled", event=event_id, reason=row.reason, data=_audit_detail(row))
        if row.overdue:
            audit.record(actor, "offsets.cancellation_overdue", event=event_id, reason="R-TIME-1",
                         data={"cancellation_id": row.id, "cancelled_on": row.cancelled_on,
                               "due_on": offset_due(event.ends_on)})
    return rows


def _audit_detail(row: Cancellation) -> dict[str, Any]:
    return {"cancellation_id": row.id, "instrument": row.instrument.value, "registry": row.unit_registry.value,
            "registry_name": row.registry_name, "serial_from": row.serial_from, "serial_to": row.serial_to,
            "quantity_tco2e": tco2e(row.quantity_tco2e), "cancelled_on": row.cancelled_on,
            "evidence_sha256": row.evidence_sha256, "donor": row.donor, "overdue": row.overdue}


def reverse_cancellation(cancellation: Cancellation, actor: User, reason: str) -> Cancellation:
    """Append a row reversing `cancellation` (a correction); its serials become free again (R-CAN-2).

    :raises Invalid: no reason, or the row is itself a reversal. :raises Conflict: already reversed.
    """
    reason = parse_text(reason, "reason", max_len=2000, required=True)
    if cancellation.reverses_id is not None:
        raise Invalid(_l("A reversal cannot itself be reversed."), {"reason": [_l("Record a new cancellation.")]})
    if db.session.execute(select(Cancellation.id).where(Cancellation.reverses_id == cancellation.id)).first():
        raise Conflict(_l("This cancellation has already been reversed."))
    copied = ("event_id", "instrument", "unit_registry", "registry_name", "project_name", "project_code", "vintage",
              "serial_from", "serial_to", "serial_prefix", "serial_start", "serial_end", "serial_alt_key",
              "serial_alt_start", "serial_alt_end", "quantity_tco2e",
              "cancelled_on", "donor")
    row = Cancellation(**{name: getattr(cancellation, name) for name in copied}, reason=reason,
                       recorded_by_id=actor.id, overdue=False, reverses_id=cancellation.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "offsets.cancellation_reversed", event=cancellation.event_id, reason=reason,
                 data={"reversal_id": row.id, **_audit_detail(cancellation)})
    return row


# --- read side ---------------------------------------------------------------------------------


def offsets_summary(event: Event, accounted_tco2e: Decimal | None, *, today: date | None = None,
                    cancellations: list[Cancellation] | None = None) -> dict[str, Any]:
    """Return the event's `offsets` object of API.md: tonnes cancelled by instrument, validated sink
    tonnes, coverage of the accounted emissions (rounded down, so 99.9 % never reads 100) and
    whether offsetting is overdue (a late cancellation, or short of coverage after 6 months, R-TIME-1).
    `cancellations`: the event's `active_cancellations`, when the caller has read them."""
    today = today or date.today()
    rows = active_cancellations(event) if cancellations is None else cancellations
    by_instrument: dict[Instrument, Decimal] = {}
    for row in rows:
        by_instrument[row.instrument] = by_instrument.get(row.instrument, Decimal(0)) + row.quantity_tco2e
    cancelled = sum(by_instrument.values(), Decimal(0))
    sink = validated_sink_tco2e(event)
    total = covered_tco2e(rows, sink)
    coverage = None
    if accounted_tco2e is not None and accounted_tco2e > 0:
        coverage = str(int((total * 100 / accounted_tco2e).to_integral_value(ROUND_FLOOR)))
    short = accounted_tco2e is not None and total < accounted_tco2e
    return {
        "cancelled_tco2e": tco2e(cancelled),
        "by_instrument": {i.value: tco2e(by_instrument[i]) for i in Instrument if i in by_instrument},
        "sink_validated_tco2e": tco2e(sink),
        "coverage_percent": coverage,
        "overdue": any(r.overdue for r in rows) or (short and today > offset_due(event.ends_on)),
    }


def _filter_value(filters: Mapping[str, Any], name: str, convert: Any) -> Any:
    value = filters.get(name)
    if value in (None, ""):
        return None
    try:
        return convert(value)
    except (ValueError, TypeError):
        raise Invalid(_l("Unknown filter value."), {name: [_l("Not a valid value.")]}) from None


def _serial_filter(value: Any) -> list[tuple[Registry, serials.UnitRange]]:
    found = serials.candidates(str(value))
    if not found:
        raise ValueError(value)
    return found


def _contains(units: serials.UnitRange) -> Any:
    """Rows holding a unit of `units` in any reading."""
    probe = Cancellation(serial_prefix=units.key, serial_start=units.first, serial_end=units.last)
    probe.parsed_units = units
    return _same_units(probe)


def ledger_rows(filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Return the cancellation ledger for `GET /api/v1/ledger/cancellations`, oldest first.

    Filters (strings accepted): registry, instrument, event_id, year (of cancellation),
    serial (rows containing this serial number), overdue ("true"/"false").
    :raises Invalid: an unknown filter value.
    """
    filters = filters or {}
    query = select(Cancellation, Event.name).join(Event, Event.id == Cancellation.event_id)
    if (registry := _filter_value(filters, "registry", Registry)) is not None:
        query = query.where(Cancellation.unit_registry == registry)
    if (instrument := _filter_value(filters, "instrument", Instrument)) is not None:
        query = query.where(Cancellation.instrument == instrument)
    if (event_id := _filter_value(filters, "event_id", bounds.db_id)) is not None:
        query = query.where(Cancellation.event_id == event_id)
    if (year := _filter_value(filters, "year", bounds.year)) is not None:
        query = query.where(extract("year", Cancellation.cancelled_on) == year)
    if (overdue := _filter_value(filters, "overdue", lambda v: str(v).lower() in {"1", "true", "yes"})) is not None:
        query = query.where(Cancellation.overdue == overdue)
    if (serial := _filter_value(filters, "serial", _serial_filter)) is not None:
        query = query.where(or_(*(_contains(units) for _registry, units in serial)))
    reversed_ids = set(db.session.execute(
        select(Cancellation.reverses_id).where(Cancellation.reverses_id.is_not(None))).scalars())
    return [
        {
            "id": c.id, "registry": c.unit_registry.value, "registry_name": c.registry_name,
            "instrument": c.instrument.value, "project_name": c.project_name, "project_code": c.project_code,
            "vintage": c.vintage, "serial_from": c.serial_from, "serial_to": c.serial_to,
            "quantity_tco2e": tco2e(c.quantity_tco2e), "event_id": c.event_id, "event_name": name,
            "cancelled_on": c.cancelled_on.isoformat(), "evidence_sha256": c.evidence_sha256, "donor": c.donor,
            "reason": c.reason, "overdue": c.overdue, "reversed": c.id in reversed_ids, "reverses_id": c.reverses_id,
        }
        for c, name in db.session.execute(query.order_by(Cancellation.id))
    ]
