"""Orders: the status machine and audit trail, refunds, expiry, the buyer's pages, notices."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Give templates the order words and the units sold (the catalogue may not import orders).

    Also answer accounts about a browser session's guest orders (accounts may not import orders).
    """
    from shop import jobs
    from shop.orders import adoption, labels
    from shop.orders.sold import units_sold

    for function in (
        labels.order_status_label,
        labels.order_actor_label,
        labels.order_reason_label,
        labels.order_statuses,
        # The product page shows 已售 N 件.
        units_sold,
    ):
        app.add_template_global(function)
    adoption.connect()
    # Unpaid checkouts hold stock: the worker frees it every minute, not only at the next checkout.
    jobs.every(app, "expire-orders", 60, "shop.orders.jobs.expire_unpaid_orders")
