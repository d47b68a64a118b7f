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
    serials (generic registries: the grouped reading), compared on its own."""

    key: str
    first: int
    last: int
    alt: tuple[str, int, int] | None = None

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def readings(self) -> list[tuple[str, int, int]]:
        return [(self.key, self.first, self.last), *([self.alt] if self.alt else [])]

    def overlaps(self, other: UnitRange) -> bool:
        """Whether any reading of one shares a unit with any reading of the other (a compact key
        never contains "-", so a compact and a grouped key are equal only when they read alike)."""
        return any(key == other_key and first <= other_last and other_first <= last
                   for key, first, last in self.readings() for other_key, other_first, other_last in other.readings())


def _normal(text: str) -> str:
    """NFKC and upper case, separators kept (as they were typed)."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def compact(text: str) -> str:
    """The text without any separator, in NFKC and upper case (what never changes the units)."""
    return _SEPARATORS.sub("", _normal(text))


def _segments(text: str) -> list[str]:
    return [part for part in _SEPARATORS.split(_normal(text)) if part]


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


def _generic(raw: str, field: str, registry: Registry) -> UnitRange:
    if _looks_like_block(raw):
        raise _refuse(field, registry, _l("This is a Verra or Gold Standard block serial: choose that registry."))
    text = compact(raw)
    match = _TRAILING.match(text)
    if not match:
        raise _refuse(field, registry, _l("The serial or certificate number must end in its running number."))
    head, number = _split_long(match.group(1), match.group(2))
    groups = _groups(raw)
    alt_head, alt_number = _split_long("-".join(groups[:-1]), groups[-1]) if groups else ("", number)
    if len(head) > 120 or len(alt_head) > 200:
        raise _refuse(field, registry, _l("The serial number is too long."))
    return UnitRange(f"g|{head}", number, number, (f"g|{alt_head}", alt_number, alt_number))


def _groups(raw: str) -> list[str]:
    """The grouped reading: letters joined across separators, each group of digits on its own and
    without its zero padding (`SDPH-LY-2023-000005` → SDPHLY, 2023, 5)."""
    groups: list[str] = []
    for segment in _segments(raw):
        for part in _RUNS.findall(segment):
            if not part.isdigit() and groups and not groups[-1].isdigit():
                groups[-1] += part
            else:
                groups.append(_group(part))
    return groups


def _group(part: str) -> str:
    """A group of letters as it is, a group of digits without its zero padding."""
    return (part.lstrip("0") or "0") if part.isdigit() else part


def _looks_like_block(raw: str) -> bool:
    parts = _segments(raw)
    verra = len(parts) >= 5 and all(p.isdigit() for p in parts[:3]) and parts[3] in ("VCS", "VCU")
    gold = len(parts) >= 6 and parts[0] == "GS1" and parts[-1].isdigit() and parts[-2].isdigit()
    return verra or gold


def _verra(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) == 1 and parts[0].isdigit():
        number = _number(parts[0], field, registry)
        return UnitRange("verra|", number, number)
    if len(parts) >= 4 and all(p.isdigit() for p in parts[:3]) and parts[3].isalpha():
        first, last = _number(parts[1], field, registry), _number(parts[2], field, registry)
        if last < first:
            raise _refuse(field, registry, _l("The serial range ends before it starts."))
        return UnitRange("verra|", first, last)
    raise _refuse(field, registry)


def _gold_standard(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) < 4 or not parts[0].startswith("GS") or not (parts[-1].isdigit() and parts[-2].isdigit()):
        raise _refuse(field, registry)
    key = "gs|" + "-".join("".join(_group(run) for run in _RUNS.findall(p)) for p in parts[:-2])
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
    return _generic(raw, field, registry)


def parse(registry: Registry, serial_from: str | None, serial_to: str | None = None, *,
          registry_name: str | None = None, field_prefix: str = "") -> UnitRange:
    """Parse a cancellation line's serials at `registry` into one unit range (R-CAN-2).

    `serial_to` empty means the units `serial_from` names alone (one unit, or a block serial's block).
    With both, the range runs from the first unit of `serial_from` to the last of `serial_to`.
    `registry_name` (of an `other` registry) is accepted for the callers' convenience and ignored:
    it is not part of the units' identity.
    :raises Invalid: missing first serial, a serial not in the registry's format, two serials of
        different namespaces (fields "<prefix>serial_from" / "<prefix>serial_to"), or an end before the start.
    """
    from_field, to_field = f"{field_prefix}serial_from", f"{field_prefix}serial_to"
    if not (serial_from or "").strip():
        raise Invalid(_l("The first serial number is required."), {from_field: [_l("Required.")]})
    start = _one(registry, serial_from, from_field)
    if not (serial_to or "").strip():
        return start
    end = _one(registry, serial_to, to_field)
    if end.key != start.key:
        msg = _l("The first and last serial numbers belong to different series (%(a)s, %(b)s).",
                 a=start.key.split("|")[-1] or "—", b=end.key.split("|")[-1] or "—")
        raise Invalid(msg, {to_field: [msg]})
    if end.last < start.first:
        msg = _l("The serial range ends before it starts.")
        raise Invalid(msg, {to_field: [msg]})
    alt = None
    if start.alt and end.alt:
        if start.alt[0] != end.alt[0]:  # e.g. SDPH-LY-2023-000005 to SDPHLY2023000014
            msg = _l("Write the first and last serial numbers the same way (the same separators and digits).")
            raise Invalid(msg, {to_field: [msg]})
        alt = (start.alt[0], start.alt[1], end.alt[2])
        if alt[1] > alt[2]:
            msg = _l("The serial range ends before it starts.")
            raise Invalid(msg, {to_field: [msg]})
        if alt[2] - alt[1] != end.last - start.first:
            # Unpadded running numbers (…-99 to …-100): only the grouped reading names the units.
            return UnitRange(*alt)
    return UnitRange(start.key, start.first, end.last, alt)


def candidates(serial: str) -> list[tuple[Registry, UnitRange]]:
    """Every registry's reading of one serial (for searching the ledger without a registry)."""
    out = []
    for registry in Registry:
        try:
            out.append((registry, _one(registry, serial, "serial")))
        except Invalid:
            continue
    return out
