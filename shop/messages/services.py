"""Threads and messages: buyers write on their orders, sellers answer from the shop's inbox."""

from shop.extensions import db
from shop.messages.models import Message, MessageAuthor, MessageKind, RequestState, Thread
from shop.models_base import utcnow
from shop.orders.models import Order


def thread_for(order: Order) -> Thread:
    """The order's thread, made on first use. Flushes when it makes one."""
    thread = db.session.query(Thread).filter_by(order_id=order.id).one_or_none()
    if thread is None:
        thread = Thread(order_id=order.id, shop_id=order.shop_id)
        db.session.add(thread)
        db.session.flush()
    return thread


def post_buyer_message(
    order: Order, body: str, kind: str = MessageKind.MESSAGE, data: dict | None = None
) -> Message:
    """Add the buyer's message to the order's thread; it waits for the seller. Flushes.

    Requests (address change, refund) stay open until the seller does them or declines.
    """
    thread = thread_for(order)
    now = utcnow()
    message = Message(
        thread=thread,
        author=MessageAuthor.BUYER,
        kind=kind,
        body=body.strip(),
        data=data or {},
        request_state=RequestState.OPEN if kind in MessageKind.REQUESTS else RequestState.NONE,
        created_at=now,
    )
    db.session.add(message)
    thread.last_message_at = now
    thread.seller_unread += 1
    thread.awaiting_seller = True
    db.session.flush()
    return message
