"""Flask-Login wiring and role checks."""

from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from shop.extensions import db, login_manager


def init_login(app) -> None:
    """Tell Flask-Login how to load users and where to send anonymous visitors."""
    from shop.accounts.models import User

    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see that page.")
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None


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
