"""Sign in, sign out, change password; API tokens and "sign out everywhere" (issues #2, #17)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import db
from processes import accounts, audit
from processes.errors import Invalid
from webapp.auth import limits
from webapp.auth.forms import ChangePasswordForm, LoginForm, TokenForm
from webapp.auth.sessions import sign_in, sign_out
from webapp.extensions import limiter
from webapp.main.routes import landing_url
from webapp.navigation import safe_next

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(limits.address_limit, methods=["POST"])
@limiter.shared_limit(limits.username_limit, limits.USERNAME_SCOPE, key_func=limits.typed_username,
                      methods=["POST"], deduct_when=limits.failed_unless(302), exempt_when=limits.known_device)
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.username.data, form.password.data, limits.throttle())
        except accounts.LoginFailed:
            db.session.commit()  # keep the failure count and any lock
            flash(_("Sign-in failed: the username or password is wrong, or the account is locked."), "error")
        else:
            sign_in(user)
            audit.record(user, "account.signed_in")
            db.session.commit()
            return limits.remember_device(redirect(safe_next(request.args.get("next"), landing_url(user))),
                                          user.username)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():  # noqa: ANN201
    sign_out()
    db.session.commit()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
@limiter.limit(limits.address_limit, methods=["POST"])
@limiter.shared_limit(limits.username_limit, limits.USERNAME_SCOPE, key_func=limits.own_username,
                      methods=["POST"], deduct_when=limits.failed_unless(302))
def change_password():  # noqa: ANN201
    """Counted and limited like sign-in (issue #17): too many wrong current passwords end the session."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data,
                                     limits.throttle())
        except accounts.TooManyAttempts:
            sign_out("locked")  # whoever holds this cookie without the password loses it
            db.session.commit()
            flash(_("Too many wrong passwords: you have been signed out. Try again later."), "error")
            return redirect(url_for("auth.login"))
        except Invalid as exc:
            db.session.commit()  # keep the count of wrong passwords (nothing else changed)
            for name, errors in exc.fields.items():
                target = form.new_password if name == "password" else getattr(form, name)
                target.errors.extend(str(e) for e in errors)
        else:
            sign_in(current_user._get_current_object())  # every other session has ended; this one goes on anew
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions have ended and your API tokens "
                    "are revoked."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():  # noqa: ANN201
    """The user's API tokens (name, expiry, last use) to revoke; a new one is shown once, here."""
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = accounts.issue_token(current_user, form.name.data)
        db.session.commit()
        form = TokenForm(formdata=None)
    return render_template("auth/tokens.html", form=form, new_token=new_token,
                           tokens=accounts.tokens_of(current_user), state=accounts.token_state,
                           days=current_app.config["API_TOKEN_DAYS"])


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):  # noqa: ANN201
    """Revoke one of one's own tokens (another's: 404)."""
    if accounts.revoke_token(current_user, token_id=token_id) is None:
        abort(404)
    db.session.commit()
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.tokens"))


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():  # noqa: ANN201
    """End every session of the user (this one too) and revoke all their API tokens."""
    accounts.end_everything(current_user, "signed_out_everywhere")
    sign_out("signed_out_everywhere")
    db.session.commit()
    flash(_("You have been signed out everywhere; all your API tokens are revoked."), "success")
    return redirect(url_for("auth.login"))
