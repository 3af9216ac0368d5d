"""People: users, roles, log-in."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Give templates the phone number as people write it; the worker retries unsent mail."""
    from shop import jobs
    from shop.accounts.phones import display_phone

    app.add_template_global(display_phone)
    # Order notices and messages wait in the outbox too: the worker sends them within a minute.
    jobs.every(app, "deliver-outbox", 60, "shop.accounts.outbox.deliver_pending")
