"""A guest's orders join the account made (or logged into) in the browser session that placed them.

Sign-up does not prove an email address (no link is sent), so an email alone adopts nothing:
anyone may type anyone's address. What is proven is the browser session, which lists the orders
a guest placed in it (shop.accounts.adoption). Only those join, and only those whose email is the
account's, so a shared phone's next user cannot take an earlier buyer's order by signing up with
another address. Orders placed on another device, or only looked up with the phone's last
digits, stay guest orders (their own pages still open with number and digits).

Accounts sits below orders and asks through signals (shop.signals); `connect()` answers them.
"""

from sqlalchemy import select, update

from shop import signals
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders.models import Order


def guest_email(_sender, numbers: list[str], **_kwargs) -> str:
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


def adopt_guest_orders(user, numbers: list[str], **_kwargs) -> int:
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


def connect() -> None:
    """Answer accounts' questions about a browser session's guest orders (create_app calls it)."""
    signals.guest_email_asked.connect(guest_email)
    signals.guest_orders_claimed.connect(adopt_guest_orders)
