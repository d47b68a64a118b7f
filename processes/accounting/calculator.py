"""The pure calculator: activity lines × factors → t CO2e per line, per category and in total.

No database, no Flask request: `compute` takes the lines and a mapping of factors (or a
`FactorSet`, whose `factors` are that mapping) and returns an `AccountResult` or raises
`Invalid` with one message per bad field (R-PLAN-1, R-ACC-1, R-RED-1)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from models.accounting import EmissionCategory, FactorSet
from processes import bounds
from processes.errors import Invalid

TONNE = Decimal("0.001")
GREEN_ELECTRICITY_KEY = "green_electricity_certified"
MAX_QUANTITY = bounds.ACTIVITY.maximum  # 10⁹ units: beyond any event; keeps 6 decimals exact in storage
MAX_QUANTITY_PLACES = bounds.ACTIVITY.places
PRECISION = 60  # digits of the arithmetic context: no intermediate rounding before the final quantize
HELPER_UNIT = "pkm"


class Factor(Protocol):
    """What the calculator needs of a factor (an `EmissionFactor` row, or a stand-in in tests)."""

    key: str
    category: Any
    subcategory: str
    unit: str
    kgco2e_per_unit: Decimal


@dataclass(frozen=True)
class LineInput:
    """One activity line as entered: a factor key and a quantity, or distance × people for pkm."""

    factor_key: str
    quantity: Any = None
    unit: str | None = None
    distance_km: Any = None
    people: Any = None
    note: str | None = None
    evidence: int | None = None

    @classmethod
    def of(cls, line: LineInput | Mapping[str, Any]) -> LineInput:
        """Return the line itself, or one built from a form/API mapping (unknown keys ignored)."""
        if isinstance(line, LineInput):
            return line
        return cls(**{name: line.get(name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class LineResult:
    position: int
    factor_key: str
    category: EmissionCategory
    subcategory: str
    quantity: Decimal
    unit: str
    kgco2e_per_unit: Decimal
    tco2e_exact: Decimal  # unrounded: totals are summed from these
    tco2e: Decimal  # rounded half-up to 0.001 t, as shown and stored
    distance_km: Decimal | None = None
    people: int | None = None
    assumption: str | None = None
    note: str | None = None
    evidence: int | None = None


@dataclass(frozen=True)
class AccountResult:
    lines: tuple[LineResult, ...]
    by_category: dict[EmissionCategory, Decimal]  # each rounded once from its unrounded sum
    total: Decimal  # rounded once from the unrounded sum of all lines
    total_exact: Decimal


def round_tonnes(value: Decimal) -> Decimal:
    """Round t CO2e to 0.001 t, half up (ACCOUNTING.md: rounding and units)."""
    return value.quantize(TONNE, rounding=ROUND_HALF_UP)


def tonnes(quantity: Decimal, kgco2e_per_unit: Decimal) -> Decimal:
    """Return quantity × factor in tonnes, unrounded."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return quantity * kgco2e_per_unit / 1000


def sum_tonnes(values: Iterable[tuple[EmissionCategory, Decimal]]) -> tuple[dict[EmissionCategory, Decimal], Decimal]:
    """Sum unrounded line values per category and in total; round each sum once."""
    per_category: dict[EmissionCategory, Decimal] = {}
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        for category, value in values:
            per_category[category] = per_category.get(category, Decimal(0)) + value
            total += value
    ordered = {c: round_tonnes(per_category[c]) for c in EmissionCategory if c in per_category}
    return ordered, total


def parse_decimal(value: Any) -> Decimal | None:
    """Return a finite Decimal from a number or numeric string, or None if it is not one (a string
    longer than bounds.MAX_NUMBER_CHARS is not read at all)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and len(value.strip()) > bounds.MAX_NUMBER_CHARS:
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def plain(value: Decimal) -> str:
    """Format a Decimal without exponent or trailing zeros (350.000 → "350")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def blank_row(row: LineInput | Mapping[str, Any]) -> bool:
    """Return whether a form row was left entirely empty (forms offer spare rows; they are skipped)."""
    values = vars(row).values() if isinstance(row, LineInput) else row.values()
    return all(_blank(value) for value in values)


def _quantity(raw: Any, name: str, errors: dict[str, list], *, places: int = MAX_QUANTITY_PLACES) -> Decimal | None:
    number = parse_decimal(raw)
    if number is None:
        errors.setdefault(name, []).append(_l("Enter a number."))
    elif number < 0:
        errors.setdefault(name, []).append(_l("Must not be negative."))
    elif number >= MAX_QUANTITY:
        errors.setdefault(name, []).append(_l("Too large: check the unit (at most %(max)s).", max="999,999,999"))
    elif decimal_places(number) > places:
        errors.setdefault(name, []).append(_l("At most %(n)d decimal places.", n=places))
    else:
        return number
    return None


def _people(raw: Any, name: str, errors: dict[str, list]) -> int | None:
    number = parse_decimal(raw)
    if number is None or number != number.to_integral_value() or number < 1:
        errors.setdefault(name, []).append(_l("Enter a whole number of people (1 or more)."))
        return None
    if number >= MAX_QUANTITY:
        errors.setdefault(name, []).append(_l("Too large."))
        return None
    return int(number)


def _resolve_quantity(line: LineInput, factor: Factor, prefix: str, errors: dict[str, list]
                      ) -> tuple[Decimal | None, Decimal | None, int | None, str | None]:
    """Return (quantity, distance, people, assumption); the helper gives quantity = distance × people."""
    if _blank(line.distance_km) and _blank(line.people):
        if _blank(line.quantity):
            errors.setdefault(f"{prefix}-quantity", []).append(_l("Enter a quantity."))
            return None, None, None, None
        return _quantity(line.quantity, f"{prefix}-quantity", errors), None, None, None
    if factor.unit != HELPER_UNIT:
        errors.setdefault(f"{prefix}-distance_km", []).append(
            _l("Distance × people applies only to per-passenger-km factors; this factor is per %(unit)s.",
               unit=factor.unit))
        return None, None, None, None
    distance = _quantity(line.distance_km, f"{prefix}-distance_km", errors, places=3)
    people = _people(line.people, f"{prefix}-people", errors)
    if distance is None or people is None:
        return None, None, None, None
    quantity = distance * people
    if quantity >= MAX_QUANTITY:
        errors.setdefault(f"{prefix}-quantity", []).append(_l("Too large: check the distance and the people."))
        return None, None, None, None
    if not _blank(line.quantity) and parse_decimal(line.quantity) != quantity:
        errors.setdefault(f"{prefix}-quantity", []).append(
            _l("Does not equal distance × people (%(q)s pkm); leave it empty or correct it.", q=plain(quantity)))
        return None, None, None, None
    assumption = f"{plain(distance)} km × {people} people = {plain(quantity)} pkm"
    return quantity, distance, people, assumption


def _line(position: int, raw: LineInput | Mapping[str, Any], factors: Mapping[str, Factor], field: str,
          errors: dict[str, list]) -> LineResult | None:
    prefix = f"{field}-{position}"
    line = LineInput.of(raw)
    key = (line.factor_key or "").strip() if isinstance(line.factor_key, str) else ""
    factor = factors.get(key)
    if factor is None:
        errors.setdefault(f"{prefix}-factor_key", []).append(
            _l("Unknown emission factor “%(key)s”.", key=key) if key else _l("Choose an emission factor."))
        return None
    if not _blank(line.unit) and str(line.unit).strip() != factor.unit:
        errors.setdefault(f"{prefix}-unit", []).append(
            _l("The factor is per %(expected)s, not %(given)s: convert the quantity and state how in the note.",
               expected=factor.unit, given=line.unit))
        return None
    if factor.key == GREEN_ELECTRICITY_KEY and _blank(line.evidence):
        # R-RED-1: certified green electricity counts as zero only with its certificate attached.
        errors.setdefault(f"{prefix}-evidence", []).append(
            _l("Green electricity counts as zero only with a green-electricity certificate or trade record "
               "attached; otherwise use the grid factor."))
        return None
    quantity, distance, people, assumption = _resolve_quantity(line, factor, prefix, errors)
    if quantity is None:
        return None
    exact = tonnes(quantity, factor.kgco2e_per_unit)
    return LineResult(
        position=position, factor_key=factor.key, category=EmissionCategory(factor.category),
        subcategory=factor.subcategory, quantity=quantity, unit=factor.unit,
        kgco2e_per_unit=factor.kgco2e_per_unit, tco2e_exact=exact, tco2e=round_tonnes(exact),
        distance_km=distance, people=people, assumption=assumption,
        note=(line.note or "").strip() or None, evidence=None if _blank(line.evidence) else line.evidence,
    )


def compute(lines: Sequence[LineInput | Mapping[str, Any]], factor_set: FactorSet | Mapping[str, Factor], *,
            field: str = "estimate") -> AccountResult:
    """Compute every line, the per-category sums and the total.

    Lines are `LineInput`s or mappings with `factor_key` and `quantity` (or `distance_km` and
    `people` for per-pkm factors), optional `unit` (must equal the factor's), `note`, `evidence`.
    Entirely empty rows are skipped; a line keeps its index as `position`.

    :raises Invalid: with a message per bad field, e.g. ``estimate-2-quantity`` (lines from 0).
    """
    factors = factor_set.factors if isinstance(factor_set, FactorSet) else factor_set
    errors: dict[str, list] = {}
    results = [_line(i, raw, factors, field, errors) for i, raw in enumerate(lines) if not blank_row(raw)]
    if errors:
        raise Invalid(_l("Some activity lines are invalid; nothing was saved."), errors)
    done = tuple(r for r in results if r is not None)
    by_category, total = sum_tonnes((r.category, r.tco2e_exact) for r in done)
    return AccountResult(lines=done, by_category=by_category, total=round_tonnes(total), total_exact=total)


# Plausibility limits (issue 5, "Bad input"; issue #18, typos): refused unless the organizer
# confirms them with a reason.
MAX_EVENT_TCO2E = Decimal("1000000")
MAX_KWH_PER_EVENT_DAY = Decimal("10000000")  # 10 GWh
MAX_TCO2E_PER_PARTICIPANT = Decimal("5")  # a long-haul return flight and a few hotel nights stay below
ESTIMATE_RATIO = Decimal(10)  # an account 10× above or below the plan's estimate is probably a typo


@dataclass(frozen=True)
class Implausibility:
    """A plausibility limit exceeded: `message` for the form, `detail` (plain text) for the audit trail,
    `fields` the lines it concerns (their quantity fields), if any."""

    code: str
    message: Any
    detail: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Baseline:
    """What the plan estimated, for comparing the account with it: quantity per factor key, total t CO2e."""

    quantities: Mapping[str, Decimal]
    total: Decimal


def _times(actual: Decimal, expected: Decimal) -> str:
    """How many times `actual` is `expected` (≥ 10), as shown: "1000", "12.5"."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ratio = actual / expected
    return plain(ratio.quantize(Decimal(1)) if ratio >= 100 else ratio.quantize(Decimal("0.1")))


def _far(actual: Decimal, expected: Decimal) -> int:
    """1 if actual is more than ESTIMATE_RATIO times expected, -1 if less than its tenth, else 0."""
    if expected <= 0:
        return 0  # nothing estimated: no basis to compare with
    if actual > expected * ESTIMATE_RATIO:
        return 1
    return -1 if actual * ESTIMATE_RATIO < expected else 0


def _against_estimate(result: AccountResult, baseline: Baseline, field: str) -> list[Implausibility]:
    """Each factor whose accounted quantity is far from its estimated quantity, named on its lines,
    and a total far from the estimated total."""
    problems: list[Implausibility] = []
    totals: dict[str, Decimal] = {}
    for line in result.lines:
        totals[line.factor_key] = totals.get(line.factor_key, Decimal(0)) + line.quantity
    for line in result.lines:
        expected = baseline.quantities.get(line.factor_key)
        actual = totals[line.factor_key]
        if expected is None or not (side := _far(actual, expected)):
            continue
        values = {"n": line.position + 1, "q": plain(actual), "e": plain(expected), "unit": line.unit}
        message = (_l("Line %(n)d: %(q)s %(unit)s is %(times)s times what the plan estimated for this factor "
                      "(%(e)s %(unit)s): check the unit and the digits.", times=_times(actual, expected), **values)
                   if side > 0 else
                   _l("Line %(n)d: %(q)s %(unit)s is less than a tenth of what the plan estimated for this factor "
                      "(%(e)s %(unit)s): check the unit and the digits.", **values))
        problems.append(Implausibility(
            "line_far_from_estimate", message,
            f"line {line.position + 1} {line.factor_key}: {plain(actual)} {line.unit} vs. estimated "
            f"{plain(expected)} {line.unit}", (f"{field}-{line.position}-quantity",)))
    side = _far(result.total_exact, baseline.total)
    if side:
        total, estimate = plain(result.total), plain(round_tonnes(baseline.total))
        problems.append(Implausibility(
            "total_far_from_estimate",
            _l("The total of %(total)s t CO2e is %(times)s times the plan's estimate of %(e)s t.",
               total=total, times=_times(result.total_exact, baseline.total), e=estimate) if side > 0 else
            _l("The total of %(total)s t CO2e is less than a tenth of the plan's estimate of %(e)s t.",
               total=total, e=estimate),
            f"total {total} t CO2e vs. estimated {estimate} t"))
    return problems


def implausibilities(result: AccountResult, event_days: int, *, participants: int | None = None,
                     baseline: Baseline | None = None, field: str = "estimate") -> list[Implausibility]:
    """Return each plausibility limit the result exceeds (empty if none): absolute magnitudes, tonnes per
    participant, and — for an account — each factor and the total against the plan's estimate."""
    problems: list[Implausibility] = []
    if result.total_exact > MAX_EVENT_TCO2E:
        problems.append(Implausibility(
            "total_over_1000000_t",
            _l("The total of %(total)s t CO2e is more than 1,000,000 t for one event.", total=result.total),
            f"total {result.total} t CO2e > 1,000,000 t per event"))
    kwh = sum((r.quantity for r in result.lines if r.unit == "kWh"), Decimal(0))
    days = max(event_days, 1)
    if kwh > MAX_KWH_PER_EVENT_DAY * days:
        problems.append(Implausibility(
            "electricity_over_10_gwh_per_day",
            _l("Electricity of %(kwh)s kWh is more than 10 GWh per event day (%(days)d days).",
               kwh=plain(kwh), days=days),
            f"electricity {plain(kwh)} kWh > 10 GWh × {days} event days"))
    if participants and result.total_exact > MAX_TCO2E_PER_PARTICIPANT * participants:
        with localcontext() as ctx:
            ctx.prec = PRECISION
            per = plain((result.total_exact / participants).quantize(Decimal("0.01")))
        problems.append(Implausibility(
            "over_5_t_per_participant",
            _l("The total of %(total)s t CO2e is %(per)s t per participant (%(n)d participants); more than "
               "%(max)s t per participant is unusual for one event.",
               total=plain(result.total), per=per, n=participants, max=plain(MAX_TCO2E_PER_PARTICIPANT)),
            f"total {result.total} t CO2e = {per} t per participant > {MAX_TCO2E_PER_PARTICIPANT} t × {participants}"))
    if baseline is not None:
        problems += _against_estimate(result, baseline, field)
    return problems
