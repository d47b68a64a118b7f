"""Role checks for pages: `roles_required` answers 403 to a signed-in user of another role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user, login_required

from models import Role


def roles_required(*roles: Role) -> Callable:
    """Require sign-in (else redirect to login) and one of the roles (else 403)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]  # read by the authorization matrix test
        return wrapped

    return decorator


DEPARTMENT_ROLES = (Role.DEPARTMENT_STAFF, Role.DEPARTMENT_LEAD)
