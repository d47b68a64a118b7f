"""Carbon accounting (issue 5): the factor library, the pure calculator, the plan's estimate and
measures (R-PLAN-1), reductions achieved (R-RED-1), the actual account (R-ACC-1), and the
summary and exports. See docs/accounting.md for the method."""

from processes.accounting.account import save_account
from processes.accounting.calculator import (
    GREEN_ELECTRICITY_KEY,
    AccountResult,
    Implausibility,
    LineInput,
    LineResult,
    compute,
    implausibilities,
    round_tonnes,
)
from processes.accounting.export import account_rows, export_csv, export_xlsx
from processes.accounting.factors import (
    UNITS,
    current_factor_set,
    ensure_default_factor_set,
    factor_json,
    factor_sets,
    factors,
    import_factor_csv,
)
from processes.accounting.plan import ReductionsResult, report_reductions, save_plan_accounting
from processes.accounting.summary import emissions_summary

__all__ = [
    "GREEN_ELECTRICITY_KEY",
    "UNITS",
    "AccountResult",
    "Implausibility",
    "LineInput",
    "LineResult",
    "ReductionsResult",
    "account_rows",
    "compute",
    "current_factor_set",
    "emissions_summary",
    "ensure_default_factor_set",
    "export_csv",
    "export_xlsx",
    "factor_json",
    "factor_sets",
    "factors",
    "implausibilities",
    "import_factor_csv",
    "report_reductions",
    "round_tonnes",
    "save_account",
    "save_plan_accounting",
]
