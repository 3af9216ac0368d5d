"""`flask expire-orders`: release the stock of checkouts left unpaid (run it every few minutes)."""

import click
from flask import Flask

from shop.extensions import db


def register(app: Flask) -> None:
    """Attach the order commands to `flask --app wsgi ...`."""

    @app.cli.command("expire-orders")
    def expire_orders_command():
        """Cancel orders unpaid 30 minutes after checkout and return their stock."""
        from shop.orders.services import expire_overdue

        cancelled = expire_overdue()
        db.session.commit()
        click.echo(f"Cancelled {cancelled} unpaid orders; their stock is back on sale.")
