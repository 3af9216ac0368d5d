"""The orders' background jobs (shop.jobs names them by path)."""

from shop.extensions import db


def expire_unpaid_orders() -> int:
    """Cancel checkouts left unpaid past their deadline and commit; their stock is back on sale.

    The worker runs it every minute; `flask expire-orders` runs it from cron on a shop without
    Redis, and checkout still expires a batch before it reserves stock.
    """
    from shop.orders.services import expire_overdue

    cancelled = expire_overdue()
    db.session.commit()
    return cancelled
