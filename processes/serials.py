"""Serial numbers of cancelled units, parsed per registry into normalised unit ranges (R-CAN-2).

Whatever the spelling, a cancellation line becomes a `UnitRange`: the units' namespace at their
registry (`key`) and the first and last unit number. Two lines count the same units exactly when
their keys are equal and their number intervals intersect, so the ledger can refuse double counting
by comparing ranges, never strings. The original text stays on the ledger row for display and
evidence.

Spelling that never changes the units: Unicode compatibility forms (full-width letters and digits,
NFKC), case, separators — every character that is neither a letter nor a digit (hyphens and dashes
of any width, minus signs, underscores, dots, slashes, tildes, plus signs, spaces…), or none at all —
and zero padding of a number.

Formats (docs/offsets.md, "Serial numbers"):

- Chinese registries and `other` (`generic`) share one namespace: the same series at two of them
  (e.g. Shandong units re-entered as "other" registry units) are the same units. A serial is read
  twice, and two lines overlap when they overlap in either reading:
  - compact: separators removed; the running number is the trailing digits (leading zeros ignored),
    the characters before them the key — `SDPH-LY-2023-000001` and `SDPHLY2023000001` are one unit;
  - grouped: the serial's groups of letters and of digits, each number without its zero padding;
    the last group of digits is the running number — `SDPH-LY-2023-000001` and `SDPH/LY/2023/1`
    are one unit.
  Of a run of more than 18 significant digits, the leading ones belong to the key. At `other` the
  registry's name is recorded but is not part of the units' identity (its spelling is free). A
  Verra or Gold Standard block serial is refused at these registries: it names units of those.
- Verra (`verra`): a block serial `BATCH-FIRST-LAST-VCS-VCU-…` names units FIRST…LAST; Verra numbers
  its units registry-wide, so the key is the registry and the batch and trailing fields are only
  display. A bare unit number is accepted too.
- Gold Standard (`gold_standard`): `GS1-1-CC-GSnnnn-…-FIRST-LAST` names units FIRST…LAST of the
  issuance batch named by every field before them (the key). Separators are required here: without
  them the fields cannot be told apart.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from models.offsets import Registry
from processes.errors import Invalid

MAX_DIGITS = 18  # fits the BigInteger columns (2**63 - 1 has 19 digits)
_SEPARATORS = re.compile(r"[\W_]+")  # after NFKC: anything that is neither a letter nor a digit
_RUNS = re.compile(r"[0-9]+|[^0-9]+")
_TRAILING = re.compile(r"^(.*?)([0-9]+)$")
_FORMATS = {
    Registry.VERRA: "BATCH-FIRST-LAST-VCS-VCU-…, e.g. 19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-…",
    Registry.GOLD_STANDARD: "GS1-1-CC-GSnnnn-…-FIRST-LAST, e.g. GS1-1-KE-GS11603-16-2025-30256-110-5463",
}
_GENERIC = "…digits, e.g. SDPH-LY-2023-000001"


class UnitRange(NamedTuple):
    """Units FIRST…LAST (inclusive) in the namespace `key`; `alt` is a second reading of the same
    serials (generic registries: the grouped reading), stored and compared like the first. `probes`
    are further readings of what was typed, compared only when a new line is checked against the
    ledger (they cover the spellings that join the running number to the year: see `_probes`)."""

    key: str
    first: int
    last: int
    alt: tuple[str, int, int] | None = None
    probes: tuple[tuple[str, int, int], ...] = ()

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def readings(self) -> list[tuple[str, int, int]]:
        """The readings stored on the ledger row."""
        return [(self.key, self.first, self.last), *([self.alt] if self.alt else [])]

    def all_readings(self) -> list[tuple[str, int, int]]:
        return [*self.readings(), *self.probes]

    def overlaps(self, other: UnitRange) -> bool:
        """Whether any reading of one shares a unit with any reading of the other."""
        return any(key == other_key and first <= other_last and other_first <= last
                   for key, first, last in self.all_readings()
                   for other_key, other_first, other_last in other.all_readings())

    def overlap_size(self, other: UnitRange) -> int:
        return max((min(last, other_last) - max(first, other_first) + 1
                    for key, first, last in self.all_readings()
                    for other_key, other_first, other_last in other.all_readings() if key == other_key), default=0)


# Letters that look like Latin capitals, as typed from a Cyrillic or Greek keyboard.
_CONFUSABLES = str.maketrans("АВЕЗКМНОРСТУХІЈЅԁԛԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABE3KMHOPCTYXIJSDQWABEZHIKMNOPTYX")


def _normal(text: str) -> str:
    """NFKC, look-alike letters as Latin, upper case; separators kept (as they were typed)."""
    return unicodedata.normalize("NFKC", text).strip().upper().translate(_CONFUSABLES)


def compact(text: str) -> str:
    """The text without any separator, normalised (what never changes the units)."""
    return _SEPARATORS.sub("", _normal(text))


def canonical(text: str) -> str:
    """An identifier (project code or name) in one spelling: no separators, every number without
    its zero padding and groups of zeros dropped (`SDLY-JN-2026-001` = `sdly/jn/2026/1`)."""
    return "".join(_tokens(text)).casefold()


def names(given: str | None, identifier: str | None) -> bool:
    """Whether `given` (a project code or name as typed) names `identifier` (a project's code or
    name): the same in one spelling (`canonical`), or containing it when it is long enough not to be
    found by chance (`CCER-SDLY-JN-2026-001`, `济宁任城新造林碳汇项目（一期）`)."""
    if not given or not identifier:
        return False
    g, i = canonical(given), canonical(identifier)
    g_typed, i_typed = compact(given).casefold(), compact(identifier).casefold()
    return bool(i) and (g == i or (len(i) >= 6 and i in g) or (len(i_typed) >= 6 and i_typed in g_typed))


def _segments(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(_normal(text)) if part]


def _tokens(raw: str) -> list[str]:
    """Letters joined across separators; each group of digits on its own, without its zero padding;
    groups of zeros dropped except at the end (`0SDPH-LY-2023-0-000005` → SDPHLY, 2023, 5)."""
    runs = [run for segment in _segments(raw) for run in _RUNS.findall(segment)]
    tokens: list[str] = []
    for i, run in enumerate(runs):
        if run.isdigit():
            if set(run) == {"0"} and i < len(runs) - 1:
                continue
            tokens.append(run.lstrip("0") or "0")
        elif tokens and not tokens[-1].isdigit():
            tokens[-1] += run
        else:
            tokens.append(run)
    return tokens


def _refuse(field: str, registry: Registry, message: object | None = None) -> Invalid:
    expected = _FORMATS.get(registry, _GENERIC)
    message = message or _l("This is not a serial number of %(registry)s (expected %(format)s).",
                            registry=registry.title, format=expected)
    return Invalid(message, {field: [message]})


def _number(digits: str, field: str, registry: Registry) -> int:
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise _refuse(field, registry, _l("The running number is too long (at most %(n)d digits).", n=MAX_DIGITS))
    return int(digits)


def _split_long(head: str, run: str) -> tuple[str, int]:
    run = run.lstrip("0") or "0"
    if len(run) > MAX_DIGITS:
        head, run = head + run[:-MAX_DIGITS], run[-MAX_DIGITS:]
    return head, int(run)


class _Serial(NamedTuple):
    """One generic serial read both ways, with what its probes need."""

    compact: tuple[str, int]  # (key, number)
    grouped: tuple[str, int]
    head_tokens: str  # canonical text before the trailing digits (`SDPHLY` of SDPH-LY-2023000005)
    digits: str  # the trailing digits as typed, separators removed (`2023000005`)
    middle: str  # the grouped reading's digit groups between its last letters and its number (`2023`)
    letters: str  # the grouped reading's key up to its last letters (`SDPHLY`)


def _read(raw: str, field: str, registry: Registry) -> _Serial:
    if _looks_like_block(raw) or any(token in ("VCS", "VCU") for token in _tokens(raw)):
        raise _refuse(field, registry, _l("This is a Verra or Gold Standard serial: choose that registry."))
    match = _TRAILING.match(compact(raw))
    if not match:
        raise _refuse(field, registry, _l("The serial or certificate number must end in its running number."))
    head, number = _split_long(match.group(1), match.group(2))
    tokens = _tokens(raw)
    alt_head, alt_number = _split_long("".join(tokens[:-1]), tokens[-1])
    if len(head) > 120 or len(alt_head) > 200:
        raise _refuse(field, registry, _l("The serial number is too long."))
    last_letters = max((i for i, t in enumerate(tokens[:-1]) if not t.isdigit()), default=-1)
    return _Serial((f"g|{head}", number), (f"g|{alt_head}", alt_number), "".join(_tokens(match.group(1))),
                   match.group(2), "".join(tokens[last_letters + 1:-1]), "".join(tokens[:last_letters + 1]))


def _probes(first: _Serial, last: _Serial) -> tuple[tuple[str, int, int], ...]:
    """Readings of a range that cover a running number joined to the year (or any digits before it):
    - split: the typed trailing digits cut at every place, as the grouped reading would see them had
      a separator been there (`NT2026000001` → NT2026 · 1, NT202 · 6000001, …);
    - widened: the grouped reading written without separators at every padding of the running
      number (`NT/2026/1` → NT · 20261, NT · 202601, NT · 2026001, …).
    """
    out = []
    a, b = first.digits, last.digits
    if len(a) == len(b):
        for cut in range(1, len(a)):
            if a[:cut] == b[:cut]:
                prefix = a[:cut].lstrip("0")
                start, end = int(a[cut:]), int(b[cut:])
                if start <= end and len(a[cut:].lstrip("0")) <= MAX_DIGITS:
                    out.append((f"g|{first.head_tokens}{prefix}", start, end))
    if first.middle and first.middle == last.middle and first.letters == last.letters:
        n1, n2, middle = first.grouped[1], last.grouped[1], first.middle
        for width in range(len(str(n2)), MAX_DIGITS - len(middle) + 1):
            out.append((f"g|{first.letters}", int(f"{middle}{n1:0{width}d}"), int(f"{middle}{n2:0{width}d}")))
    if first.compact[0] == "g|" and last.compact[0] == "g|":  # a bare number: it may be a Verra unit
        out.append(("verra|", first.compact[1], last.compact[1]))
    return tuple(out)


def _generic_range(raw_from: str, raw_to: str | None, from_field: str, to_field: str,
                   registry: Registry) -> UnitRange:
    start = _read(raw_from, from_field, registry)
    end = _read(raw_to, to_field, registry) if raw_to else start
    if end.compact[0] != start.compact[0]:
        msg = _l("The first and last serial numbers belong to different series (%(a)s, %(b)s).",
                 a=start.compact[0].removeprefix("g|") or "—", b=end.compact[0].removeprefix("g|") or "—")
        raise Invalid(msg, {to_field: [msg]})
    if end.grouped[0] != start.grouped[0]:  # e.g. SDPH-LY-2023-000005 to SDPHLY2023000014
        msg = _l("Write the first and last serial numbers the same way (the same separators and digits).")
        raise Invalid(msg, {to_field: [msg]})
    if end.compact[1] < start.compact[1] or end.grouped[1] < start.grouped[1]:
        msg = _l("The serial range ends before it starts.")
        raise Invalid(msg, {to_field: [msg]})
    probes = _probes(start, end)
    grouped = (start.grouped[0], start.grouped[1], end.grouped[1])
    if grouped[2] - grouped[1] != end.compact[1] - start.compact[1]:
        # Unpadded running numbers (…-99 to …-100): only the grouped reading names the units.
        return UnitRange(*grouped, probes=probes)
    return UnitRange(start.compact[0], start.compact[1], end.compact[1], grouped, probes)


def _looks_like_block(raw: str) -> bool:
    parts = _segments(raw)
    verra = len(parts) >= 5 and all(p.isdigit() for p in parts[:3]) and parts[3] in ("VCS", "VCU")
    gold = len(parts) >= 6 and parts[0] == "GS1" and parts[-1].isdigit() and parts[-2].isdigit()
    return verra or gold


def _verra(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) == 1 and parts[0].isdigit():
        number = _number(parts[0], field, registry)
        return UnitRange("verra|", number, number, probes=(("g|", number, number),))
    if len(parts) >= 4 and all(p.isdigit() for p in parts[:3]) and parts[3].isalpha():
        first, last = _number(parts[1], field, registry), _number(parts[2], field, registry)
        if last < first:
            raise _refuse(field, registry, _l("The serial range ends before it starts."))
        return UnitRange("verra|", first, last, probes=(("g|", first, last),))
    raise _refuse(field, registry)


def _gold_standard(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) < 4 or not parts[0].startswith("GS") or not (parts[-1].isdigit() and parts[-2].isdigit()):
        raise _refuse(field, registry)
    # The batch named by every field before FIRST-LAST, in one spelling: a separator added or
    # removed inside it, or a number padded, never makes another batch.
    key = "gs|" + "".join(_tokens("-".join(parts[:-2])))
    if len(key) > 120:
        raise _refuse(field, registry, _l("The serial number is too long."))
    first, last = _number(parts[-2], field, registry), _number(parts[-1], field, registry)
    if last < first:
        raise _refuse(field, registry, _l("The serial range ends before it starts."))
    return UnitRange(key, first, last)


def _one(registry: Registry, raw: str, field: str) -> UnitRange:
    if registry is Registry.VERRA:
        return _verra(raw, field, registry)
    if registry is Registry.GOLD_STANDARD:
        return _gold_standard(raw, field, registry)
    return _generic_range(raw, None, field, field, registry)


def parse(registry: Registry, serial_from: str | None, serial_to: str | None = None, *,
          registry_name: str | None = None, field_prefix: str = "") -> UnitRange:
    """Parse a cancellation line's serials at `registry` into one unit range (R-CAN-2).

    `serial_to` empty means the units `serial_from` names alone (one unit, or a block serial's block).
    With both, the range runs from the first unit of `serial_from` to the last of `serial_to`.
    `registry_name` (of an `other` registry) is accepted for the callers' convenience and ignored:
    it is not part of the units' identity.
    :raises Invalid: missing first serial, a serial not in the registry's format, two serials of
        different series or written two ways (fields "<prefix>serial_from" / "<prefix>serial_to"),
        or an end before the start.
    """
    from_field, to_field = f"{field_prefix}serial_from", f"{field_prefix}serial_to"
    if not (serial_from or "").strip():
        raise Invalid(_l("The first serial number is required."), {from_field: [_l("Required.")]})
    serial_to = serial_to if (serial_to or "").strip() else None
    if registry not in (Registry.VERRA, Registry.GOLD_STANDARD):
        return _generic_range(serial_from, serial_to, from_field, to_field, registry)
    start = _one(registry, serial_from, from_field)
    if serial_to is None:
        return start
    end = _one(registry, serial_to, to_field)
    if end.key != start.key:
        msg = _l("The first and last serial numbers belong to different series (%(a)s, %(b)s).",
                 a=start.key.split("|")[-1] or "—", b=end.key.split("|")[-1] or "—")
        raise Invalid(msg, {to_field: [msg]})
    if end.last < start.first:
        msg = _l("The serial range ends before it starts.")
        raise Invalid(msg, {to_field: [msg]})
    probes = (("g|", start.first, end.last),) if registry is Registry.VERRA else ()
    return UnitRange(start.key, start.first, end.last, probes=probes)


def candidates(serial: str) -> list[tuple[Registry, UnitRange]]:
    """Every registry's reading of one serial (for searching the ledger without a registry)."""
    out = []
    for registry in Registry:
        try:
            out.append((registry, _one(registry, serial, "serial")))
        except Invalid:
            continue
    return out
