"""Threads and messages: buyers write on their orders, sellers answer from the shop's inbox.

A buyer with an account may also ask about a product before buying (联系卖家): a pre-sale
thread, one per (product, buyer), in the same inbox under the same rules.

Every function flushes and never commits; the view commits once. A buyer's request (address
change, refund) is closed with a compare-and-set on its state, so a double click or a refund
racing a decline settles it exactly once.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from products.models import Product, Shop, ShopKind
from shop import signals
from shop.accounts.models import User
from shop.accounts.outbox import queue_message, site_link
from shop.extensions import db
from shop.messages.models import (
    Message,
    MessageAuthor,
    MessageKind,
    QuickReply,
    RequestState,
    Thread,
)
from shop.models_base import current_language, made_once, utcnow
from shop.orders import services as order_services
from shop.orders.models import Order, OrderStatus
from shop.orders.notifications import notify_buyer, notify_seller

#: The longest message anyone may send (a WeChat-length note, not a letter).
MAX_BODY_LENGTH = 1000
#: The same words from the same side of a thread within this time are one message sent twice
#: (a double tap, a resend after a slow answer): kept once.
REPEAT_WINDOW = timedelta(seconds=60)


class InvalidMessageBody(ValueError):
    """A message is empty (or only spaces) or longer than MAX_BODY_LENGTH."""


class RequestNotOpen(ValueError):
    """The request was already done or declined (or the message is not a request of that kind)."""


class NotYourThread(LookupError):
    """The seller does not own the thread's shop."""


class OwnProduct(ValueError):
    """A seller cannot start a pre-sale conversation about their own shop's product."""


def clean_body(body: str | None) -> str:
    """The message text without surrounding spaces.

    :raises InvalidMessageBody: when it is empty or longer than MAX_BODY_LENGTH.
    """
    text = (body or "").strip()
    if not text:
        raise InvalidMessageBody("empty")
    if len(text) > MAX_BODY_LENGTH:
        raise InvalidMessageBody("too long")
    return text


def thread_for(order: Order) -> Thread:
    """The order's thread, made on first use. Flushes when it makes one."""
    return made_once(
        lambda: db.session.scalar(select(Thread).where(Thread.order_id == order.id)),
        lambda: Thread(order_id=order.id, shop_id=order.shop_id),
    )


def _repeat_of(thread: Thread, author: str, text: str) -> Message | None:
    """The same message from the same side sent moments ago, when this one repeats it.

    The thread's row is written first: a second copy of the message sent at the same moment
    waits here until the first is committed, then finds it (an UPDATE, as it locks on SQLite
    too).
    """
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return db.session.scalar(
        select(Message)
        .where(
            Message.thread_id == thread.id,
            Message.author == author,
            Message.body == text,
            Message.created_at >= utcnow() - REPEAT_WINDOW,
        )
        .order_by(Message.id.desc())
        .limit(1)
    )


def presale_thread(product: Product, buyer: User) -> Thread | None:
    """The buyer's pre-sale thread about this product with its messages, or None."""
    return db.session.scalar(
        select(Thread)
        .where(Thread.product_id == product.id, Thread.buyer_id == buyer.id)
        .options(selectinload(Thread.messages))
    )


def presale_thread_for(product: Product, buyer: User) -> Thread:
    """The buyer's pre-sale thread about the product, made on first use. Flushes.

    Two requests at once (a double tap on 联系卖家) both try to make it: the unique
    (product, buyer) rule lets one win, and the other reads the winner's thread.

    :raises OwnProduct: when the buyer owns the product's shop.
    """
    if product.shop.owner_id == buyer.id:
        raise OwnProduct(product.id)
    return made_once(
        lambda: presale_thread(product, buyer),
        lambda: Thread(product_id=product.id, buyer_id=buyer.id, shop_id=product.shop_id),
    )


def post_presale_message(product: Product, buyer: User, body: str) -> Message:
    """The buyer asks the shop about a product before buying; it waits for the seller. Flushes.

    :raises InvalidMessageBody: when the body is empty or too long.
    :raises OwnProduct: when the buyer owns the product's shop.
    """
    thread = presale_thread_for(product, buyer)
    message, new = _buyer_writes(thread, clean_body(body))
    if new:
        _tell_seller_presale(thread, message)
    return message


def buyer_presale_threads(buyer: User) -> list[Thread]:
    """The buyer's pre-sale threads, latest first (products and shops loaded)."""
    return list(
        db.session.scalars(
            select(Thread)
            .where(Thread.buyer_id == buyer.id, Thread.order_id.is_(None))
            .options(joinedload(Thread.product), joinedload(Thread.shop))
            .order_by(Thread.last_message_at.desc(), Thread.id.desc())
        )
    )


def seller_presale_thread(user: User, thread_id: int) -> Thread | None:
    """A pre-sale thread of one of the seller's shops, with its messages; else None (a 404)."""
    return db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id, Thread.order_id.is_(None), _owned_by(user))
        .options(
            selectinload(Thread.messages), joinedload(Thread.product), joinedload(Thread.buyer)
        )
    )


def post_buyer_message(
    order: Order, body: str, kind: str = MessageKind.MESSAGE, data: dict | None = None
) -> Message:
    """Add the buyer's message to the order's thread; it waits for the seller. Flushes.

    Requests (address change, refund) stay open until the seller does them or declines.
    The seller is told through the outbox.

    :raises InvalidMessageBody: when the body is empty or too long.
    """
    if kind not in MessageKind.ALL:
        raise ValueError(f"unknown message kind {kind!r}")
    text = clean_body(body)
    message, new = _buyer_writes(thread_for(order), text, kind, data)
    if new:
        _tell_seller(order, message)
    return message


def _buyer_writes(
    thread: Thread, text: str, kind: str = MessageKind.MESSAGE, data: dict | None = None
) -> tuple[Message, bool]:
    """The buyer's message in the thread, waiting for the seller, and whether it is new (not a
    repeat of one sent moments ago). Flushes."""
    repeated = _repeat_of(thread, MessageAuthor.BUYER, text)
    if repeated is not None:
        return repeated, False
    now = utcnow()
    message = Message(
        thread=thread,
        author=MessageAuthor.BUYER,
        kind=kind,
        body=text,
        data=data or {},
        request_state=RequestState.OPEN if kind in MessageKind.REQUESTS else RequestState.NONE,
        created_at=now,
    )
    db.session.add(message)
    thread.last_message_at = now
    thread.seller_unread += 1
    thread.awaiting_seller = True
    db.session.flush()
    return message, True


def post_seller_reply(thread: Thread, seller: User, body: str) -> Message:
    """The seller answers: the buyer's waiting messages count as answered now. Flushes.

    :raises InvalidMessageBody: when the body is empty or too long.
    :raises NotYourThread: when the seller does not own the thread's shop.
    """
    text = clean_body(body)
    if thread.shop.owner_id != seller.id:
        raise NotYourThread(thread.id)
    repeated = _repeat_of(thread, MessageAuthor.SELLER, text)
    if repeated is not None:
        return repeated
    now = utcnow()
    db.session.execute(
        update(Message)
        .where(
            Message.thread_id == thread.id,
            Message.author == MessageAuthor.BUYER,
            Message.answered_at.is_(None),
        )
        .values(answered_at=now)
        .execution_options(synchronize_session="fetch")
    )
    reply = Message(
        thread=thread,
        author=MessageAuthor.SELLER,
        kind=MessageKind.MESSAGE,
        body=text,
        created_at=now,
    )
    db.session.add(reply)
    thread.last_message_at = now
    thread.awaiting_seller = False
    # Whoever replies has read the thread.
    thread.seller_unread = 0
    thread.buyer_unread += 1
    db.session.flush()
    if thread.is_presale:
        _tell_buyer_presale(thread, reply)
    else:
        _tell_buyer(thread.order, reply)
    signals.customer_answered.send(thread.shop, thread=thread, message=reply)
    return reply


def mark_read_by_seller(thread: Thread) -> bool:
    """The seller opened the thread; returns True when that changed anything."""
    if thread.seller_unread == 0:
        return False
    thread.seller_unread = 0
    db.session.flush()
    return True


def mark_read_by_buyer(thread: Thread) -> bool:
    """The buyer opened the order page with the thread; returns True when that changed anything."""
    if thread.buyer_unread == 0:
        return False
    thread.buyer_unread = 0
    db.session.flush()
    return True


def _close_request(message: Message, state: str, kinds: tuple[str, ...]) -> None:
    """Move an open request of one of `kinds` to `state`, once (compare-and-set). Flushes.

    :raises RequestNotOpen: when it is not such a request, or someone closed it first.
    """
    if message.author != MessageAuthor.BUYER or message.kind not in kinds:
        raise RequestNotOpen(message.id)
    db.session.flush()
    closed = db.session.execute(
        update(Message)
        .where(Message.id == message.id, Message.request_state == RequestState.OPEN)
        .values(request_state=state)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        db.session.refresh(message, ["request_state"])
        raise RequestNotOpen(message.id)
    set_committed_value(message, "request_state", state)


def decline_request(message: Message, seller: User, reply_body: str) -> Message:
    """Decline an open request with a reply the buyer reads; returns the reply. Flushes.

    :raises InvalidMessageBody: when the reply is empty or too long (nothing changes then).
    :raises RequestNotOpen: when the request was already done or declined.
    :raises NotYourThread: when the seller does not own the thread's shop.
    """
    clean_body(reply_body)
    thread = message.thread
    if thread.shop.owner_id != seller.id:
        raise NotYourThread(thread.id)
    _close_request(message, RequestState.DECLINED, MessageKind.REQUESTS)
    reply = post_seller_reply(thread, seller, reply_body)
    if message.kind == MessageKind.REFUND_REQUEST:
        signals.refund_request_handled.send(thread.shop, thread=thread, message=message)
    return reply


def apply_address_change(message: Message, seller: User) -> Message:
    """Give the order the address the buyer asked for, close the request and tell the buyer.

    Returns the seller's reply (written in the buyer's language). Flushes.

    :raises AddressChangeNotAllowed: when the order is not paid or has shipped.
    :raises InvalidDeliveryAddress: when the proposed address is incomplete.
    :raises RequestNotOpen: when the request was already done or declined.
    :raises NotYourThread: when the seller does not own the thread's shop.
    """
    thread = message.thread
    order = thread.order
    if thread.shop.owner_id != seller.id:
        raise NotYourThread(thread.id)
    if message.kind != MessageKind.ADDRESS_CHANGE or message.request_state != RequestState.OPEN:
        raise RequestNotOpen(message.id)
    fields = proposed_fields(message)
    # Checked before the request is closed, so a refused change leaves it open.
    if order.status != OrderStatus.PAID:
        raise order_services.AddressChangeNotAllowed(order.status)
    _close_request(message, RequestState.DONE, (MessageKind.ADDRESS_CHANGE,))
    order_services.change_delivery_address(order, seller, **fields)
    with force_locale(order.language or "zh"):
        body = _(
            "I changed the delivery address as you asked: %(address)s",
            address=" ".join([order.contact_name, order.phone, *order.address_lines]),
        )
    return post_seller_reply(thread, seller, body[:MAX_BODY_LENGTH])


def proposed_fields(message: Message) -> dict[str, str]:
    """The delivery fields an address-change request asks for (other keys are ignored)."""
    data = message.data or {}
    return {
        name: str(data[name])
        for name in order_services.DELIVERY_FIELDS
        if data.get(name) is not None
    }


def proposed_address(message: Message) -> Order:
    """The order's delivery details as they would be after the change, to show side by side.

    A transient Order (never added to the session) so the address is laid out by the same
    code as every other address on the site.
    """
    order = message.thread.order
    current = {name: getattr(order, name) for name in order_services.DELIVERY_FIELDS}
    return Order(country=order.country, **{**current, **proposed_fields(message)})


def close_refund_requests(shop: Shop, order: Order, refund=None, **_extra) -> None:
    """A refund (from the order page or at the gateway) settles the order's open refund requests.

    Whole or partial: the seller answered the request with money (the refund history shows
    how much); the buyer can still write again for the rest.
    """
    thread = db.session.scalar(
        select(Thread).where(Thread.order_id == order.id).options(selectinload(Thread.messages))
    )
    if thread is None:
        return
    now = utcnow()
    for message in thread.messages:
        if message.kind != MessageKind.REFUND_REQUEST:
            continue
        try:
            _close_request(message, RequestState.DONE, (MessageKind.REFUND_REQUEST,))
        except RequestNotOpen:
            continue
        if message.answered_at is None:
            message.answered_at = now
        signals.refund_request_handled.send(shop, thread=thread, message=message, refund=refund)
    thread.awaiting_seller = any(
        message.author == MessageAuthor.BUYER and message.answered_at is None
        for message in thread.messages
    )
    db.session.flush()


# --- Notices --------------------------------------------------------------------------------


def _notices_for(order: Order) -> bool:
    """Whether to mail about this order's messages.

    Not for practice orders (simulated customers have no mailbox; a trainee sees their
    messages in the inbox), nor outside a request without SITE_URL: no address to link to.
    """
    return not order.is_practice and (
        has_request_context() or bool(current_app.config.get("SITE_URL"))
    )


def _tell_seller(order: Order, message: Message) -> None:
    """Queue a notice to the shop's owner, in their language, with a link to the thread."""
    if not _notices_for(order):
        return
    notify_seller(
        order,
        "buyer_message",
        lambda: _("A buyer wrote about order %(number)s", number=order.number),
        lambda: _(
            "The buyer of order %(number)s wrote:\n\n%(body)s\n\nReply here: %(link)s",
            number=order.number,
            body=message.body,
            link=site_link("inbox.thread", number=order.number),
        ),
    )


def _tell_buyer(order: Order, reply: Message) -> None:
    """Queue a notice of the seller's reply to the buyer, in their language."""
    if not _notices_for(order):
        return
    notify_buyer(
        order,
        "seller_reply",
        lambda: _(
            "%(shop)s replied about order %(number)s",
            shop=order.shop.localized("name"),
            number=order.number,
        ),
        lambda: _(
            "%(shop)s replied about your order %(number)s:\n\n%(body)s\n\nSee the order and answer: %(link)s",
            shop=order.shop.localized("name"),
            number=order.number,
            body=reply.body,
            link=site_link("orders.detail", number=order.number),
        ),
    )


def _presale_notices(thread: Thread) -> bool:
    """Whether to mail about a pre-sale thread (as _notices_for: not practice shops)."""
    return thread.shop.kind != ShopKind.PRACTICE and (
        has_request_context() or bool(current_app.config.get("SITE_URL"))
    )


def _tell_seller_presale(thread: Thread, message: Message) -> None:
    """Queue a notice of a buyer's pre-sale question to the shop's owner, in their language."""
    seller = db.session.get(User, thread.shop.owner_id)
    if seller is None or not _presale_notices(thread):
        return
    with force_locale(seller.language or "zh"):
        title = thread.product.localized("title")
        queue_message(
            seller.email,
            "buyer_message",
            _("A buyer asked about %(title)s", title=title),
            _(
                "A buyer asked about %(title)s before buying:\n\n%(body)s\n\nReply here: %(link)s",
                title=title,
                body=message.body,
                link=site_link("inbox.presale", thread_id=thread.id),
            ),
        )


def _tell_buyer_presale(thread: Thread, reply: Message) -> None:
    """Queue a notice of the seller's reply to a pre-sale question, in the buyer's language."""
    buyer = thread.buyer
    if buyer is None or not _presale_notices(thread):
        return
    with force_locale(buyer.language or "zh"):
        title = thread.product.localized("title")
        queue_message(
            buyer.email,
            "seller_reply",
            _(
                "%(shop)s replied about %(title)s",
                shop=thread.shop.localized("name"),
                title=title,
            ),
            _(
                "%(shop)s replied to your question about %(title)s:\n\n%(body)s\n\nAnswer here: %(link)s",
                shop=thread.shop.localized("name"),
                title=title,
                body=reply.body,
                link=site_link("inbox.ask", product_id=thread.product_id),
            ),
        )


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox: the thread (its order loaded), its newest message, any open request."""

    thread: Thread
    last_message: Message
    has_open_request: bool


def _owned_by(user: User):
    return Thread.shop_id.in_(select(Shop.id).where(Shop.owner_id == user.id))


def _needs_seller():
    return or_(Thread.awaiting_seller.is_(True), Thread.seller_unread > 0)


def inbox(
    user: User, waiting_only: bool = False, page: int = 1, per_page: int = 50
) -> tuple[list[InboxRow], int]:
    """One page of the threads of a seller's shops, latest first, and how many there are.

    Three columns in one query (thread with order, newest message, open request), whatever
    the page's length.
    """
    conditions = [_owned_by(user)]
    if waiting_only:
        conditions.append(Thread.awaiting_seller.is_(True))
    total = db.session.scalar(select(func.count(Thread.id)).where(*conditions))
    newest = (
        select(Message.thread_id, func.max(Message.id).label("message_id"))
        .group_by(Message.thread_id)
        .subquery()
    )
    open_request = (
        exists()
        .where(Message.thread_id == Thread.id, Message.request_state == RequestState.OPEN)
        .correlate(Thread)
    )
    last_message = aliased(Message)
    rows = db.session.execute(
        select(Thread, last_message, open_request.label("has_open_request"))
        .join(newest, newest.c.thread_id == Thread.id)
        .join(last_message, last_message.id == newest.c.message_id)
        .where(*conditions)
        .options(joinedload(Thread.order), joinedload(Thread.product), joinedload(Thread.buyer))
        .order_by(Thread.last_message_at.desc(), Thread.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [InboxRow(*row) for row in rows], total or 0


def waiting_count(user: User) -> int:
    """How many of the seller's threads wait for them (unread, or no reply yet): the nav badge."""
    return (
        db.session.scalar(select(func.count(Thread.id)).where(_owned_by(user), _needs_seller()))
        or 0
    )


def thread_of(order: Order) -> Thread | None:
    """The order's thread with its messages, oldest first, or None before anyone wrote."""
    return db.session.scalar(
        select(Thread).where(Thread.order_id == order.id).options(selectinload(Thread.messages))
    )


def request_in(thread: Thread | None, message_id: int) -> Message | None:
    """A message of this thread by id (another thread's id is None, as if it did not exist)."""
    if thread is None:
        return None
    return next((message for message in thread.messages if message.id == message_id), None)


# --- Quick replies (常用语) -------------------------------------------------------------------

#: What a new seller finds in their quick replies, in the language they use the site in.
DEFAULT_QUICK_REPLIES = {
    "zh": (
        "您好，在的！请问有什么可以帮您？",
        "今天下午发货，发出后会把快递单号发给您。",
        "非常抱歉给您添麻烦了，请拍张照片发给我们，我们马上为您处理。",
        "已为您办理退款，请留意到账，谢谢您的理解！",
        "感谢您的购买，欢迎再来！",
    ),
    "en": (
        "Hello! How can I help you?",
        "Your order ships this afternoon; I will send you the tracking number.",
        "Sorry for the trouble. Please send us a photo and we will sort it out right away.",
        "I have refunded you; please look out for the money. Thank you for your patience!",
        "Thank you for your order. Come again!",
    ),
}
#: The longest quick reply, and how many one seller keeps.
MAX_QUICK_REPLY_LENGTH = 300
MAX_QUICK_REPLIES = 30


class TooManyQuickReplies(ValueError):
    """The seller already keeps MAX_QUICK_REPLIES quick replies."""


def _has_quick_replies_rows(user: User) -> bool:
    return (
        db.session.scalar(select(QuickReply.id).where(QuickReply.user_id == user.id).limit(1))
        is not None
    )


def quick_replies(user: User) -> list[QuickReply]:
    """The seller's quick replies in their order; the starter set (not saved) for a new seller.

    The starter set is in the reader's language and becomes the seller's own on their first
    change (ensure_quick_replies). A seller who deleted them all keeps an empty list.
    """
    rows = list(
        db.session.scalars(
            select(QuickReply)
            .where(QuickReply.user_id == user.id, QuickReply.deleted.is_(False))
            .order_by(QuickReply.position, QuickReply.id)
        )
    )
    if rows or _has_quick_replies_rows(user):
        return rows
    return [
        QuickReply(user_id=user.id, body=body, position=position)
        for position, body in enumerate(DEFAULT_QUICK_REPLIES[current_language()])
    ]


def ensure_quick_replies(user: User) -> list[QuickReply]:
    """Save the starter set as the seller's own if they never had quick replies. Flushes."""
    replies = quick_replies(user)
    if replies and replies[0].id is None:
        db.session.add_all(replies)
        db.session.flush()
    return replies


def add_quick_reply(user: User, body: str) -> QuickReply:
    """Add a quick reply at the end of the seller's list. Flushes.

    :raises InvalidMessageBody: when it is empty or longer than MAX_QUICK_REPLY_LENGTH.
    :raises TooManyQuickReplies: when the seller keeps MAX_QUICK_REPLIES already.
    """
    text = _quick_reply_text(body)
    replies = ensure_quick_replies(user)
    if len(replies) >= MAX_QUICK_REPLIES:
        raise TooManyQuickReplies(len(replies))
    position = max((reply.position for reply in replies), default=-1) + 1
    reply = QuickReply(user_id=user.id, body=text, position=position)
    db.session.add(reply)
    db.session.flush()
    return reply


def own_quick_reply(user: User, reply_id: int) -> QuickReply | None:
    """One of the seller's quick replies (another seller's, or a deleted one, is None)."""
    return db.session.scalar(
        select(QuickReply).where(
            QuickReply.id == reply_id,
            QuickReply.user_id == user.id,
            QuickReply.deleted.is_(False),
        )
    )


def edit_quick_reply(reply: QuickReply, body: str) -> None:
    """Change a quick reply's words. Flushes.

    :raises InvalidMessageBody: when it is empty or longer than MAX_QUICK_REPLY_LENGTH.
    """
    reply.body = _quick_reply_text(body)
    db.session.flush()


def delete_quick_reply(reply: QuickReply) -> None:
    """Take a quick reply off the seller's list. Flushes."""
    reply.deleted = True
    db.session.flush()


def _quick_reply_text(body: str | None) -> str:
    text = (body or "").strip()
    if not text:
        raise InvalidMessageBody("empty")
    if len(text) > MAX_QUICK_REPLY_LENGTH:
        raise InvalidMessageBody("too long")
    return text


def delete_threads(shop: Shop) -> int:
    """Delete a shop's threads with their messages (a practice shop's reset); how many messages."""
    thread_ids = select(Thread.id).where(Thread.shop_id == shop.id).scalar_subquery()
    deleted = db.session.execute(
        delete(Message)
        .where(Message.thread_id.in_(thread_ids))
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        delete(Thread).where(Thread.shop_id == shop.id).execution_options(synchronize_session=False)
    )
    return deleted or 0
