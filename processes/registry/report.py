"""The ledger with each line's registry status (departments, auditors), filtered by status, and the
city's cancellations as an XLSX with one sheet per registry, for the competent departments (R-CAN-1
"报有关主管部门", R-CAN-2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.offsets import Instrument, Registry
from models.registry import RegistryStatus
from processes import offsets, spreadsheet
from processes.errors import Invalid
from processes.registry.status import fields, statuses


def status_filter(value: Any) -> RegistryStatus | None:
    """:raises Invalid: an unknown status (field "registry_status")."""
    if value in (None, ""):
        return None
    try:
        return RegistryStatus(str(value))
    except ValueError:
        raise Invalid(_l("Unknown filter value."), {"registry_status": [_l("One of: %(values)s.", values=", ".join(
            s.value for s in RegistryStatus))]}) from None


def ledger(filters: Mapping[str, Any] | None = None, *, public: bool = False) -> list[dict[str, Any]]:
    """`offsets.ledger_rows` with `registry_status` and `registry_record` on each row, narrowed by
    `registry_status` (a line that does not count has none and matches no status).

    :raises Invalid: an unknown filter value.
    """
    filters = dict(filters or {})
    wanted = status_filter(filters.pop("registry_status", None))
    rows = offsets.ledger_rows(filters)
    shown = statuses(row["id"] for row in rows)
    out = []
    for row in rows:
        state = shown.get(row["id"])
        if wanted is not None and (state is None or state.status is not wanted):
            continue
        out.append(row | fields(state, public=public))
    return out


COLUMNS = ("id", "event_id", "event_name", "instrument", "registry_name", "project_name", "project_code", "vintage",
           "serial_from", "serial_to", "quantity_tco2e", "cancelled_on", "evidence_sha256", "donor", "reason",
           "overdue", "reversed", "reverses_id", "registry_status")
RECORD = ("serial", "date", "beneficiary", "import_id", "imported_on")


def _headings() -> list[str]:
    return [_("Line no."), _("Event no."), _("Event"), _("Offset product"), _("Registry name"), _("Project"),
            _("Project code"), _("Vintage"), _("First serial"), _("Last serial"), _("t CO2e"), _("Cancelled on"),
            _("Certificate SHA-256"), _("Donor"), _("Reason"), _("After 6 months"), _("Reversed"),
            _("Reverses line no."), _("Registry status"), _("Registry record: serial"), _("Registry record: date"),
            _("Registry record: beneficiary"), _("Registry data: import no."), _("Registry data: imported on")]


def workbook(filters: Mapping[str, Any] | None = None) -> bytes:
    """The ledger (with reversals, so the sheets add up) as XLSX, one sheet per registry that has lines.

    :raises Invalid: an unknown filter value.
    """
    rows = ledger(filters)
    titles = {s.value: s.title for s in RegistryStatus}
    book = spreadsheet.empty_workbook()
    for registry in Registry:
        lines = [row for row in rows if row["registry"] == registry.value]
        if not lines:
            continue
        cells = []
        for row in lines:
            record = row["registry_record"] or {}
            shown = dict(row, instrument=Instrument(row["instrument"]).title,
                         registry_status=titles[row["registry_status"]] if row["registry_status"] else "—",
                         **{flag: _("yes") if row[flag] else _("no") for flag in ("overdue", "reversed")})
            cells.append([*(shown[c] for c in COLUMNS), *(record.get(k) for k in RECORD)])
        spreadsheet.add_sheet(book, _sheet_title(registry), _headings(), cells)
    if not book.worksheets:
        spreadsheet.add_sheet(book, _("Cancellations")[:31], _headings(), [])
    return spreadsheet.workbook_bytes(book)


def _sheet_title(registry: Registry) -> str:
    """A sheet's name: at most 31 characters, none of []:*?/\\."""
    short = {Registry.SD_INCLUSION_PLATFORM: _("Shandong platform"), Registry.CCER_REGISTRY: _("CCER registry"),
             Registry.NATIONAL_CARBON_MARKET: _("National carbon market"), Registry.VERRA: "Verra",
             Registry.GOLD_STANDARD: "Gold Standard", Registry.OTHER: _("Other registries")}
    return "".join(c for c in short[registry] if c not in "[]:*?/\\")[:31]
