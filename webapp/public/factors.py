"""The emission factors, public (R-ACC-1, R-PLAT-1): every factor of a set with its check status and its
exact source, so a reviewer can read where each value comes from (the API gives the same as JSON)."""

from __future__ import annotations

from flask import abort, render_template, request

from models import db
from models.accounting import EmissionCategory, FactorStatus
from processes import accounting
from processes.accounting.calculator import plain
from processes.accounting.factors import factor_set_numbered
from webapp.public.routes import bp

STATUS_BADGES = {FactorStatus.VERIFIED: "text-bg-success", FactorStatus.DERIVED: "text-bg-info",
                 FactorStatus.TO_VERIFY: "text-bg-warning", FactorStatus.RULE: "text-bg-secondary"}


@bp.route("/factors")
def factor_list():  # noqa: ANN201
    """The set in force, or version `?set=N` (404 if there is none), grouped by category."""
    number = request.args.get("set")
    if number is None:
        factor_set = accounting.current_factor_set()
        db.session.commit()  # the shipped set may have been loaded just now
    else:
        factor_set = factor_set_numbered(int(number)) if number.isdecimal() and len(number) < 10 else None
        if factor_set is None:
            abort(404)
    rows = accounting.factors(factor_set)
    groups = [(c, [f for f in rows if f.category is c]) for c in EmissionCategory]
    counts = {s: sum(f.status is s for f in rows) for s in FactorStatus}
    return render_template("public/factors.html", factor_set=factor_set, groups=groups, counts=counts,
                           sets=accounting.factor_sets(), badges=STATUS_BADGES, plain=plain)
