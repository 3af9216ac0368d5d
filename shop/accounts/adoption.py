"""A guest's orders join the account they make (or log in to) right after buying.

Sign-up here does not prove an email address (no link is sent), so an email alone adopts
nothing: anyone may type anyone's address. What is proven is the browser session: the orders a
guest placed in it are listed in the signed session cookie, which only this site can write. An
account made or logged into in the same session adopts those orders, and only those whose email
is the account's, so a shared phone's next user cannot take an earlier buyer's order by signing
up with another address. Orders placed on another device, or only looked up with the phone's
last digits, stay guest orders (their own pages still open with number and digits).
"""

from flask import session
from sqlalchemy import select, update

from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders.models import Order

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
    if not numbers:
        return ""
    return (
        db.session.scalar(
            select(Order.email)
            .where(Order.number.in_(numbers), Order.buyer_id.is_(None), Order.email != "")
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
        )
        or ""
    )


def adopt_guest_orders(user: User, numbers: list[str]) -> int:
    """Make the user the buyer of those guest orders among `numbers` placed with their email.

    Returns how many. One conditional UPDATE: an order already someone's is never taken.
    """
    if not numbers or not user.email:
        return 0
    return db.session.execute(
        update(Order)
        .where(
            Order.number.in_(numbers),
            Order.buyer_id.is_(None),
            Order.email == user.email.strip().lower(),
        )
        .values(buyer_id=user.id, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
