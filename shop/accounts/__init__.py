"""People: users, roles, log-in."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Give templates the phone number as people write it."""
    from shop.accounts.phones import display_phone

    app.add_template_global(display_phone)
