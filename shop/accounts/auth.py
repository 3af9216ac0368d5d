"""Flask-Login wiring and role checks."""

import re
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from shop.extensions import db, login_manager

#: What User.get_id() writes into sessions and remember-me cookies: "id:session_version".
SESSION_USER = re.compile(r"(?P<id>[0-9]{1,18}):(?P<version>[0-9]{1,18})")


def init_login(app) -> None:
    """Tell Flask-Login how to load users and where to send anonymous visitors."""
    from shop.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The user a session or remember-me cookie names, while its session version is current."""
        match = SESSION_USER.fullmatch(user_id or "")
        if match is None:
            return None
        user = db.session.get(User, int(match["id"]))
        if user is None or user.session_version != int(match["version"]):
            return None
        return user


def role_required(*roles: str):
    """View decorator: log-in required, and one of the roles, else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
