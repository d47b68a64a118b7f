"""Sign in, sign out, change password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import db
from processes import accounts, audit
from processes.errors import Invalid
from webapp.auth.forms import ChangePasswordForm, LoginForm
from webapp.extensions import limiter
from webapp.navigation import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.username.data,
                form.password.data,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except accounts.LoginFailed:
            db.session.commit()  # keep the failure count and any lock
            flash(_("Sign-in failed: the username or password is wrong, or the account is locked."), "error")
        else:
            lang = session.get("lang")
            session.clear()  # no session fixation
            if lang:
                session["lang"] = lang
            login_user(user)
            audit.record(user, "account.signed_in")
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # noqa: ANN201
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # noqa: ANN201
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except Invalid as exc:
            for name, errors in exc.fields.items():
                target = form.new_password if name == "password" else getattr(form, name)
                target.errors.extend(str(e) for e in errors)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)
