"""`flask expire-orders`: release the stock of checkouts left unpaid.

Run it every few minutes from cron, or leave it to `flask worker`, which runs it every minute.
"""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the order commands to `flask --app wsgi ...`."""

    @app.cli.command("expire-orders")
    def expire_orders_command():
        """Cancel orders unpaid 30 minutes after checkout and return their stock."""
        from shop.orders.jobs import expire_unpaid_orders

        cancelled = expire_unpaid_orders()
        click.echo(f"Cancelled {cancelled} unpaid orders; their stock is back on sale.")
