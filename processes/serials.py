"""Serial numbers of cancelled units, parsed per registry into normalised unit ranges (R-CAN-2).

Whatever the spelling, a cancellation line becomes a `UnitRange`: the units' namespace at their
registry (`key`) and the first and last unit number. Two lines count the same units exactly when
their keys are equal and their number intervals intersect, so the ledger can refuse double counting
by comparing ranges, never strings. The original text stays on the ledger row for display and
evidence.

Spelling that never changes the units: Unicode compatibility forms (full-width letters and digits,
NFKC), case, and separators — ASCII and full-width hyphens, en/em dashes, minus signs, underscores,
dots, middle dots, spaces of any kind, or none at all.

Formats (docs/offsets.md, "Serial numbers"):

- Chinese registries and `other` (`generic`): the running number is the serial's trailing digits
  once separators are removed (leading zeros ignored); the characters before them are the key.
  `SDPH-LY-2023-000001`, `sdph ly 2023 000001` and `SDPHLY2023000001` are one unit. Of a run of
  more than 18 significant digits, the leading ones belong to the key. At `other`, the registry's
  name (normalised the same way) is part of the key.
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
_SEPARATORS = re.compile(r"[\s\-_.\u00b7\u2010-\u2015\u2212\u2e3a\u2e3b\u30fb\ufe58\ufe63\uff0d\uff3f\uff0e]+")
_TRAILING = re.compile(r"^(.*?)([0-9]+)$")
_FORMATS = {
    Registry.VERRA: "BATCH-FIRST-LAST-VCS-VCU-…, e.g. 19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-…",
    Registry.GOLD_STANDARD: "GS1-1-CC-GSnnnn-…-FIRST-LAST, e.g. GS1-1-KE-GS11603-16-2025-30256-110-5463",
}
_GENERIC = "…digits, e.g. SDPH-LY-2023-000001"


class UnitRange(NamedTuple):
    """Units FIRST…LAST (inclusive) in the namespace `key` of one registry."""

    key: str
    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def overlaps(self, other: UnitRange) -> bool:
        return self.key == other.key and self.first <= other.last and other.first <= self.last


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


def _generic(raw: str, field: str, registry: Registry, namespace: str) -> UnitRange:
    text = compact(raw)
    match = _TRAILING.match(text)
    if not match:
        raise _refuse(field, registry, _l("The serial or certificate number must end in its running number."))
    head, run = match.group(1), match.group(2).lstrip("0") or "0"
    if len(run) > MAX_DIGITS:
        head, run = head + run[:-MAX_DIGITS], run[-MAX_DIGITS:]
    if len(head) > 120:
        raise _refuse(field, registry, _l("The serial number is too long."))
    number = int(run)
    return UnitRange(f"{namespace}{head}", number, number)


def _verra(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) == 1 and parts[0].isdigit():
        number = _number(parts[0], field, registry)
        return UnitRange("", number, number)
    if len(parts) >= 4 and all(p.isdigit() for p in parts[:3]) and parts[3].isalpha():
        first, last = _number(parts[1], field, registry), _number(parts[2], field, registry)
        if last < first:
            raise _refuse(field, registry, _l("The serial range ends before it starts."))
        return UnitRange("", first, last)
    raise _refuse(field, registry)


def _gold_standard(raw: str, field: str, registry: Registry) -> UnitRange:
    parts = _segments(raw)
    if len(parts) < 4 or not parts[0].startswith("GS") or not (parts[-1].isdigit() and parts[-2].isdigit()):
        raise _refuse(field, registry)
    key = "-".join(str(int(p)) if p.isdigit() else p for p in parts[:-2])
    if len(key) > 120:
        raise _refuse(field, registry, _l("The serial number is too long."))
    first, last = _number(parts[-2], field, registry), _number(parts[-1], field, registry)
    if last < first:
        raise _refuse(field, registry, _l("The serial range ends before it starts."))
    return UnitRange(key, first, last)


def _one(registry: Registry, registry_name: str | None, raw: str, field: str) -> UnitRange:
    if registry is Registry.VERRA:
        return _verra(raw, field, registry)
    if registry is Registry.GOLD_STANDARD:
        return _gold_standard(raw, field, registry)
    namespace = compact(registry_name or "").casefold() + "|" if registry is Registry.OTHER else ""
    return _generic(raw, field, registry, namespace)


def parse(registry: Registry, serial_from: str | None, serial_to: str | None = None, *,
          registry_name: str | None = None, field_prefix: str = "") -> UnitRange:
    """Parse a cancellation line's serials at `registry` into one unit range (R-CAN-2).

    `serial_to` empty means the units `serial_from` names alone (one unit, or a block serial's block).
    With both, the range runs from the first unit of `serial_from` to the last of `serial_to`.
    :raises Invalid: missing first serial, a serial not in the registry's format, two serials of
        different namespaces (fields "<prefix>serial_from" / "<prefix>serial_to"), or an end before the start.
    """
    from_field, to_field = f"{field_prefix}serial_from", f"{field_prefix}serial_to"
    if not (serial_from or "").strip():
        raise Invalid(_l("The first serial number is required."), {from_field: [_l("Required.")]})
    start = _one(registry, registry_name, serial_from, from_field)
    if not (serial_to or "").strip():
        return start
    end = _one(registry, registry_name, serial_to, to_field)
    if end.key != start.key:
        msg = _l("The first and last serial numbers belong to different series (%(a)s, %(b)s).",
                 a=start.key.split("|")[-1] or "—", b=end.key.split("|")[-1] or "—")
        raise Invalid(msg, {to_field: [msg]})
    if end.last < start.first:
        msg = _l("The serial range ends before it starts.")
        raise Invalid(msg, {to_field: [msg]})
    return UnitRange(start.key, start.first, end.last)


def candidates(serial: str) -> list[tuple[Registry, UnitRange]]:
    """Every registry's reading of one serial (for searching the ledger without a registry)."""
    out = []
    for registry in Registry:
        try:
            out.append((registry, _one(registry, None, serial, "serial")))
        except Invalid:
            continue
    return out
