"""Who may see an order: its customer, or whoever placed it or proved it with the phone digits."""

import hmac

from flask import session
from flask_login import current_user

from shop.orders.models import Order

#: Order numbers this browser may show without asking again (placed or proved here).
SESSION_KEY = "orders_seen"
#: A session remembers at most this many, newest kept.
REMEMBERED = 30


def remember_orders(numbers: list[str]) -> None:
    """Let this browser session show these orders (the buyer just placed or proved them)."""
    seen = [number for number in session.get(SESSION_KEY, []) if number not in numbers]
    session[SESSION_KEY] = (seen + list(numbers))[-REMEMBERED:]


def can_view(order: Order) -> bool:
    """True for the order's customer, or a browser that placed or proved it."""
    if current_user.is_authenticated and order.buyer_id == current_user.id:
        return True
    return order.number in session.get(SESSION_KEY, [])


def phone_matches(order: Order, last4: str) -> bool:
    """True when `last4` are the last four digits of the order's phone (compared in constant time)."""
    # ASCII digits only: compare_digest refuses other text, and the phone keeps ASCII digits.
    digits = "".join(ch for ch in (last4 or "") if ch in "0123456789")
    return len(digits) == 4 and hmac.compare_digest(digits, order.phone_last4)
