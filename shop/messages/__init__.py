"""Customers' messages: a buyer <-> seller thread on each order, the shop's inbox."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Close refund requests when a refund is made; give templates the inbox badge, the words
    and the buyer's thread on the order page.

    Connecting again (every app the tests build) keeps one receiver: blinker keys them by function.
    """
    from shop import signals
    from shop.messages import display, services

    signals.order_refunded.connect(services.close_refund_requests)
    for function in (
        display.inbox_waiting_count,
        display.message_kind_label,
        display.request_state_label,
        display.order_conversation,
    ):
        app.add_template_global(function)
