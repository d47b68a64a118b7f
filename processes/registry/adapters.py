"""Export formats of the registries: how one row of a registry's public export becomes a retirement
record with normalised units (processes/serials.py), so that matching is range arithmetic on the
ledger's own keys.

An adapter is small: `name`, `registry`, the header columns it needs (`required`), a `signature`
that recognises its export among others (to tell an operator who chose the wrong registry), and
`bind(header)`, which returns a function reading one row (a list of strings) into a `Record` or
raising `LineError` naming the column. Adding a registry's layout is one more class (docs/offsets.md,
"Registry cross-check"). Until the layouts of the Shandong platform and the CCER registry are known,
`GenericCsv` reads any CSV whose column names the importer gives.
"""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from models.offsets import Registry
from processes import bounds, serials
from processes.errors import Invalid

_DIGITS = re.compile(r"\d+")
_SEPARATORS = re.compile(r"[\W_]+")  # as processes/serials.py: anything neither a letter nor a digit
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
MAX_SERIAL = 300
MAX_PROJECT_CODE = 80
MAX_PROJECT_NAME = 300
# Beneficiary texts that name nobody (the registry's placeholders).
NOBODY = frozenset({"", "-", "—", "n/a", "na", "none", "not disclosed", "undisclosed", "无", "未披露"})


@dataclass(frozen=True, slots=True)
class Record:
    """One retirement as a registry published it, its serials read into units."""

    serial: str
    units: serials.UnitRange
    quantity: Decimal | None
    retired_on: date
    beneficiary: str | None
    reason: str | None
    note: str | None
    project_code: str | None
    project_key: str | None
    project_name: str | None
    vintage: int | None


class LineError(Exception):
    """A row that cannot be read: the column (None: the whole row) and why."""

    def __init__(self, column: str | None, problem: object) -> None:
        super().__init__(problem)
        self.column = column
        self.problem = problem


Reader = Callable[[list[str]], Record]


# --------------------------------------------------------------------------- small readers
def text(value: str | None) -> str | None:
    """Stripped text, None when empty."""
    value = (value or "").strip()
    return value or None


def bounded(value: str | None, column: str, limit: int) -> str | None:
    value = text(value)
    if value is not None and len(value) > limit:
        raise LineError(column, _l("longer than %(n)d characters", n=limit))
    return value


def read_date(value: str | None, column: str) -> date:
    """A date as registries write it: ISO (a time after it ignored), YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日."""
    raw = (value or "").strip()
    if not raw:
        raise LineError(column, _l("no date"))
    head = raw.split("T")[0].split(" ")[0]
    try:
        return bounds.day(date.fromisoformat(head))  # the usual case, fast
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.strptime(head, pattern).date()
        except ValueError:
            continue
        try:
            return bounds.day(day)
        except ValueError:
            break
    raise LineError(column, _l("“%(value)s” is not a date from 2000 to 2099 (e.g. 2026-04-10)", value=raw[:40]))


def read_quantity(value: str | None, column: str, *, required: bool) -> Decimal | None:
    """A quantity with optional thousands separators ("28,571")."""
    raw = (value or "").strip().replace(",", "").replace("，", "")
    if not raw:
        if required:
            raise LineError(column, _l("no quantity"))
        return None
    try:
        return bounds.decimal(raw, bounds.TONNES)
    except ValueError:
        raise LineError(column, _l("“%(value)s” is not a quantity", value=raw[:40])) from None


def read_year(value: str | None, column: str) -> int | None:
    """A vintage: a year, or the year of a date."""
    raw = (value or "").strip()
    if not raw:
        return None
    match = re.match(r"^(\d{4})(?:\.0)?(?:[-/.年].*)?$", raw)
    if not match or not 1990 <= int(match.group(1)) <= 2099:
        raise LineError(column, _l("“%(value)s” is not a year", value=raw[:40]))
    return int(match.group(1))


def read_units(registry: Registry, serial_from: str | None, serial_to: str | None, column: str) -> serials.UnitRange:
    """The serials' units at `registry`; a serial the registry's format does not allow is a LineError."""
    try:
        return serials.parse(registry, serial_from, serial_to)
    except Invalid as exc:
        problems = [str(m) for messages in exc.fields.values() for m in messages] or [str(exc.message)]
        raise LineError(column, problems[0]) from None


def project_key(registry: Registry, code: str | None) -> str | None:
    """A project's id in one spelling: Verra and Gold Standard ids by their digits (VCS1340 = 1340,
    GS11603 = 11603), other registries' codes without separators, case or padding differences."""
    code = (code or "").strip()
    if not code:
        return None
    if registry in (Registry.VERRA, Registry.GOLD_STANDARD):
        digits = "".join(_DIGITS.findall(code.removesuffix(".0")))
        return (digits.lstrip("0") or "0") if digits else None
    return serials.compact(code)[:MAX_PROJECT_CODE] or None


def serial_project(registry: Registry, serial: str | None) -> tuple[str | None, int | None]:
    """The project id and vintage year a Verra or Gold Standard block serial names (None otherwise).

    Verra: `BATCH-FIRST-LAST-VCS-VCU-…-PROJECT-DDMMYYYY-DDMMYYYY-n`; Gold Standard:
    `GS1-1-CC-GSnnnn-nn-YEAR-BATCH-FIRST-LAST`.
    """
    parts = [p for p in _SEPARATORS.split(unicodedata.normalize("NFKC", serial or "").upper()) if p]
    if registry is Registry.VERRA and len(parts) >= 8 and all(len(p) == 8 and p.isdigit() for p in parts[-3:-1]):
        return project_key(registry, parts[-4]), int(parts[-3][4:])
    if registry is Registry.GOLD_STANDARD and len(parts) >= 9 and parts[3].upper().startswith("GS"):
        vintage = int(parts[5]) if len(parts[5]) == 4 and parts[5].isdigit() else None
        return project_key(registry, parts[3]), vintage
    return None, None


def nobody(value: str | None) -> bool:
    """Whether a beneficiary text names nobody (empty, or a placeholder such as "Not Disclosed")."""
    return (value or "").strip().casefold() in NOBODY


# --------------------------------------------------------------------------- adapters
class Adapter(ABC):
    """An export layout: the columns it needs, how a row becomes a Record (each layout says how in `bind`)."""

    name: str = ""
    registry: Registry = Registry.OTHER
    required: tuple[str, ...] = ()
    signature: frozenset[str] = frozenset()  # columns only this registry's export has

    def missing(self, header: list[str]) -> list[str]:
        present = {h.strip() for h in header}
        return [column for column in self.required if column not in present]

    def recognises(self, header: list[str]) -> bool:
        return bool(self.signature) and self.signature <= {h.strip() for h in header}

    @abstractmethod
    def bind(self, header: list[str]) -> Reader:
        """The reader of rows under this header (checked with `missing` first)."""

    def mapping_json(self) -> dict[str, str] | None:
        """The column names chosen by the importer (generic CSV), kept with the import."""
        return None


def _index(header: list[str]) -> dict[str, int]:
    return {name.strip(): i for i, name in enumerate(header)}


class VerraTransactions(Adapter):
    """Verra VCS registry, "transactions" export (retirements and cancellations)."""

    name = "verra_transactions"
    registry = Registry.VERRA
    required = ("Serial Number", "Quantity Issued", "Retirement/Cancellation Date", "ID", "Name", "Vintage Start",
                "Retirement Beneficiary", "Retirement Reason", "Retirement Details")
    signature = frozenset({"Serial Number", "Quantity Issued", "Retirement/Cancellation Date"})

    def bind(self, header: list[str]) -> Reader:
        at = _index(header)
        serial_i, quantity_i, date_i = at["Serial Number"], at["Quantity Issued"], at["Retirement/Cancellation Date"]
        id_i, name_i, vintage_i = at["ID"], at["Name"], at["Vintage Start"]
        beneficiary_i, reason_i, details_i = (at["Retirement Beneficiary"], at["Retirement Reason"],
                                              at["Retirement Details"])

        def read(row: list[str]) -> Record:
            serial = bounded(row[serial_i], "Serial Number", MAX_SERIAL)
            if serial is None or serial.count("-") < 3:
                raise LineError("Serial Number", _l("not a Verra block serial (BATCH-FIRST-LAST-VCS-VCU-…)"))
            units = read_units(Registry.VERRA, serial, None, "Serial Number")
            quantity = read_quantity(row[quantity_i], "Quantity Issued", required=True)
            if quantity != units.size:
                raise LineError("Quantity Issued", _l("%(q)s units, but the serial names %(n)d",
                                                      q=format(quantity, "f"), n=units.size))
            code = bounded(row[id_i], "ID", MAX_PROJECT_CODE)
            project, vintage = project_key(Registry.VERRA, code), read_year(row[vintage_i], "Vintage Start")
            if project is None or vintage is None:
                from_serial = serial_project(Registry.VERRA, serial)
                project, vintage = project or from_serial[0], vintage or from_serial[1]
            return Record(serial, units, quantity, read_date(row[date_i], "Retirement/Cancellation Date"),
                          text(row[beneficiary_i]), text(row[reason_i]), text(row[details_i]), code, project,
                          bounded(row[name_i], "Name", MAX_PROJECT_NAME), vintage)

        return read


class GoldStandardRetirements(Adapter):
    """Gold Standard registry, retirements export (downloaded by hand: its terms forbid automation)."""

    name = "gold_standard_retirements"
    registry = Registry.GOLD_STANDARD
    required = ("Serial Number", "Quantity", "Retirement Date", "Credit Status", "GSID", "Project Name", "Vintage",
                "Note", "Using Entity")
    signature = frozenset({"GSID", "Serial Number", "Retirement Date"})
    RETIRED = frozenset({"retired"})

    def bind(self, header: list[str]) -> Reader:
        at = _index(header)
        serial_i, quantity_i, date_i, status_i = (at["Serial Number"], at["Quantity"], at["Retirement Date"],
                                                  at["Credit Status"])
        gsid_i, name_i, vintage_i, note_i, entity_i = (at["GSID"], at["Project Name"], at["Vintage"], at["Note"],
                                                       at["Using Entity"])
        use_i = at.get("Use Case")

        def read(row: list[str]) -> Record:
            status = (row[status_i] or "").strip()
            if status.casefold() not in self.RETIRED:
                raise LineError("Credit Status", _l("“%(value)s” is not a retirement", value=status[:40]))
            serial = bounded(row[serial_i], "Serial Number", MAX_SERIAL)
            units = read_units(Registry.GOLD_STANDARD, serial, None, "Serial Number")
            quantity = read_quantity(row[quantity_i], "Quantity", required=True)
            if quantity != units.size:
                raise LineError("Quantity", _l("%(q)s units, but the serial names %(n)d", q=format(quantity, "f"),
                                               n=units.size))
            code = bounded(row[gsid_i], "GSID", MAX_PROJECT_CODE)
            project, vintage = project_key(Registry.GOLD_STANDARD, code), read_year(row[vintage_i], "Vintage")
            if project is None or vintage is None:
                from_serial = serial_project(Registry.GOLD_STANDARD, serial)
                project, vintage = project or from_serial[0], vintage or from_serial[1]
            return Record(serial or "", units, quantity, read_date(row[date_i], "Retirement Date"),
                          text(row[entity_i]), text(row[use_i]) if use_i is not None else None, text(row[note_i]),
                          code, project, bounded(row[name_i], "Project Name", MAX_PROJECT_NAME), vintage)

        return read


# The fields a generic CSV can fill, and whether each is required (`serial` or `serial_from`).
GENERIC_FIELDS = ("serial", "serial_from", "serial_to", "date", "quantity", "beneficiary", "reason", "note",
                  "project_code", "project_name", "vintage")


class GenericCsv(Adapter):
    """Any registry's CSV whose columns the importer names (`mapping`: field → column name), for the
    Shandong platform's cancellation list and the CCER registry's list until their layouts are known."""

    name = "generic_csv"

    def __init__(self, registry: Registry, mapping: Mapping[str, str | None]) -> None:
        self.registry = registry
        self.mapping = {field: column.strip() for field, column in mapping.items() if column and column.strip()}
        unknown = sorted(set(self.mapping) - set(GENERIC_FIELDS))
        errors: dict[str, list] = {f"column_{name}": [_l("Unknown field.")] for name in unknown}
        if not ({"serial", "serial_from"} & set(self.mapping)):
            errors["column_serial"] = [_l("Name the column that holds the serial number.")]
        if "serial" in self.mapping and "serial_from" in self.mapping:
            errors["column_serial_from"] = [_l("Name either one serial column or the first and last serial.")]
        if "date" not in self.mapping:
            errors["column_date"] = [_l("Name the column that holds the date of the cancellation.")]
        for field, column in self.mapping.items():
            if len(column) > 100:
                errors[f"column_{field}"] = [_l("At most %(n)d characters.", n=100)]
        if errors:
            raise Invalid(_l("The column mapping is incomplete."), errors)
        self.required = tuple(dict.fromkeys(self.mapping.values()))

    def mapping_json(self) -> dict[str, str]:
        return dict(self.mapping)

    def bind(self, header: list[str]) -> Reader:
        at = _index(header)
        column = self.mapping
        registry = self.registry
        index = {field: at[name] for field, name in column.items()}

        def cell(row: list[str], field: str) -> str | None:
            return row[index[field]] if field in index else None

        def read(row: list[str]) -> Record:
            first_field = "serial" if "serial" in index else "serial_from"
            serial_from = bounded(cell(row, first_field), column[first_field], MAX_SERIAL)
            serial_to = bounded(cell(row, "serial_to"), column.get("serial_to", ""), MAX_SERIAL)
            units = read_units(registry, serial_from, serial_to, column[first_field])
            quantity = read_quantity(cell(row, "quantity"), column.get("quantity", ""), required=False)
            if quantity is not None and registry.one_tonne_per_serial and quantity != units.size:
                raise LineError(column["quantity"], _l("%(q)s units, but the serials name %(n)d",
                                                       q=format(quantity, "f"), n=units.size))
            code = bounded(cell(row, "project_code"), column.get("project_code", ""), MAX_PROJECT_CODE)
            serial = serial_from + (f" – {serial_to}" if serial_to else "") if serial_from else ""
            return Record(serial, units, quantity, read_date(cell(row, "date"), column["date"]),
                          text(cell(row, "beneficiary")), text(cell(row, "reason")), text(cell(row, "note")), code,
                          project_key(registry, code),
                          bounded(cell(row, "project_name"), column.get("project_name", ""), MAX_PROJECT_NAME),
                          read_year(cell(row, "vintage"), column.get("vintage", "")))

        return read


KNOWN: tuple[Adapter, ...] = (VerraTransactions(), GoldStandardRetirements())


def adapter_for(registry: Registry, mapping: Mapping[str, str | None] | None = None) -> Adapter:
    """The export format read for `registry`: Verra's and Gold Standard's own, else a generic CSV.

    :raises Invalid: a generic registry without a usable column mapping (fields "column_<field>").
    """
    for adapter in KNOWN:
        if adapter.registry is registry:
            return adapter
    return GenericCsv(registry, mapping or {})


def other_layout(header: list[str], chosen: Adapter) -> Adapter | None:
    """The known export whose layout `header` is, when it is not the chosen registry's."""
    return next((a for a in KNOWN if a is not chosen and a.recognises(header) and not a.missing(header)), None)
