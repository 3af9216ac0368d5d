"""A guest's orders join the account they make (or log in to) right after buying.

What proves the orders are this person's is the browser session: the orders a guest placed in it
are listed in the signed session cookie, which only this site can write. The orders themselves
live in shop.orders, above accounts, so accounts asks through signals and shop.orders.adoption
(connected by create_app) answers, with the rules for which orders join.
"""

from flask import session

from shop import signals
from shop.accounts.models import User

#: Order numbers a guest placed in this browser session (newest last).
PLACED_ORDERS = "orders_placed"
#: A session remembers at most this many.
REMEMBERED = 30


def remember_placed(numbers: list[str]) -> None:
    """Note that this browser session placed these orders as a guest."""
    placed = [number for number in session.get(PLACED_ORDERS, []) if number not in numbers]
    session[PLACED_ORDERS] = (placed + list(numbers))[-REMEMBERED:]


def placed_here() -> list[str]:
    """The order numbers this browser session placed as a guest."""
    return list(session.get(PLACED_ORDERS, []))


def guest_email(numbers: list[str]) -> str:
    """The email of the newest guest order among these that gave one ("" when none did)."""
    for _receiver, email in signals.guest_email_asked.send(None, numbers=numbers):
        if email:
            return email
    return ""


def adopt_guest_orders(user: User, numbers: list[str]) -> int:
    """Make the user the buyer of the guest orders among `numbers` placed with their email.

    Returns how many joined the account.
    """
    if not numbers:
        return 0
    replies = signals.guest_orders_claimed.send(user, numbers=numbers)
    return sum(count or 0 for _receiver, count in replies)
