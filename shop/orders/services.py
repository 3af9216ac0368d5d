"""Order rules: stock reservation, order numbers, status moves, refunds and expiry.

Every function flushes and never commits; the view (or the command) commits once. Stock moves only
with one conditional UPDATE per line, never by reading, comparing in Python and writing back.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from products.models import Shop, Variant
from products.services import release_discount_units
from shop import signals
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import notifications
from shop.orders.models import (
    InvalidTransition,
    Order,
    OrderEvent,
    OrderLine,
    OrderRefund,
    OrderRefundLine,
    OrderStatus,
)
from shop.payments import services as payments
from shop.payments.models import Payment, PaymentStatus

#: An unpaid order keeps its stock this long.
RESERVATION_TIME = timedelta(minutes=30)
#: Order numbers use letters and digits nobody confuses when reading aloud (no 0/O, 1/I/L).
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH = 6
#: Overdue checkouts released per checkout request, so a busy shop without cron stays fast.
OPPORTUNISTIC_EXPIRY_BATCH = 20


class OutOfStock(Exception):
    """Not enough of a variant is left for the quantity asked."""

    def __init__(self, variant_id: int):
        super().__init__(f"variant {variant_id} does not have enough stock")
        self.variant_id = variant_id


class ReasonRequired(ValueError):
    """A seller cancelling or refunding must say why (the buyer reads it)."""


class ShippingDetailsMissing(ValueError):
    """Marking an order shipped needs the carrier and the tracking number."""


def new_order_number(now: datetime | None = None) -> str:
    """A fresh order number like VM-2611-7KQ3ZD: year and month, then six random characters.

    31^6 (about 887 million) combinations per month make numbers unguessable in practice; the
    unique constraint catches the rare repeat, and one is checked here first.
    """
    now = now or utcnow()
    while True:
        random_part = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))
        number = f"VM-{now:%y%m}-{random_part}"
        if db.session.scalar(select(Order.id).where(Order.number == number)) is None:
            return number


def reserve_stock(variant_id: int, quantity: int) -> None:
    """Take `quantity` off a variant's stock in one conditional statement. Flushes.

    :raises OutOfStock: when fewer than `quantity` are left (nothing is changed then).
    """
    result = db.session.execute(
        update(Variant)
        .where(Variant.id == variant_id, Variant.stock >= quantity)
        .values(stock=Variant.stock - quantity)
        .execution_options(synchronize_session=False, stock_move=True)
    )
    if result.rowcount != 1:
        raise OutOfStock(variant_id)


def release_stock(order: Order) -> None:
    """Put an order's quantities back on its variants' stock (deleted variants are skipped).

    Units bought under a limited-time discount go back to its cap too, in discount id order as
    place_order takes them.
    """
    for line in sorted(order.lines, key=lambda line: line.discount_id or 0):
        if line.discount_id is not None:
            release_discount_units(line.discount_id, line.quantity)
    for line in order.lines:
        if line.variant_id is not None:
            db.session.execute(
                update(Variant)
                .where(Variant.id == line.variant_id)
                .values(stock=Variant.stock + line.quantity)
                .execution_options(synchronize_session=False, stock_move=True)
            )


#: How a payment's orders are loaded when they are about to change: with their lines, whose
#: stock moves.
ORDERS_WITH_LINES = selectinload(Payment.orders).selectinload(Order.lines)
#: How a checkout's pages load its payment's orders: with their shops, whose names they show.
ORDERS_WITH_SHOPS = selectinload(Payment.orders).selectinload(Order.shop)


def lock_checkout(payment_id: int) -> Payment | None:
    """A checkout's payment, locked until commit, with its orders and their lines loaded.

    Every change to a payment's orders takes this lock first (see payments.lock_payment).
    """
    return payments.lock_payment(payment_id, ORDERS_WITH_LINES)


def mark_paid(order: Order, actor: User | str) -> bool:
    """Record that an unpaid order's money arrived. Returns False when it was not unpaid.

    :raises InvalidTransition: when the order was moved by someone else at the same moment.
    """
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    order.set_status(OrderStatus.PAID, actor, also={"paid_at": utcnow()})
    notifications.order_paid(order)
    signals.order_paid.send(order.shop, order=order)
    return True


def cancel_unpaid(order: Order, actor: User | str, code: str, reason: str = "") -> bool:
    """Cancel an unpaid order and return its stock. Returns False when it was not unpaid.

    `code` says why in words the site translates (payment_failed, expired, buyer_cancelled...).
    """
    if order.status != OrderStatus.PENDING_PAYMENT:
        return False
    try:
        order.set_status(OrderStatus.CANCELLED, actor, note=reason, code=code)
    except InvalidTransition:
        return False  # moved by a racing request (paid or already cancelled): its stock is settled
    order.cancel_reason = reason
    release_stock(order)
    return True


def _actor_fields(order: Order, actor: User | str) -> tuple[str, int | None]:
    """Who made a refund, as the refund history stores it: a kind and, for a person, their id."""
    if isinstance(actor, str):
        return actor, None
    return ("seller" if actor.id == order.shop.owner_id else "staff"), actor.id


def _give_back(
    order: Order,
    amount: int,
    actor: User | str,
    reason: str = "",
    lines: dict[int, int] | None = None,
    restocked: bool = False,
    key: str = "",
    expected_refunded_fen: int | None = None,
) -> OrderRefund | None:
    """Send `amount` of an order's money back through its payment's gateway and record it.

    The amount is claimed first with one conditional UPDATE (`refunded_fen + amount <=
    total_fen`, and `refunded_fen = expected` when given), before any money moves: of two
    refunds racing, whatever the database, the second finds the first's claim and fails here,
    so together they never give back more than was paid. The view rolls the claim back if the
    gateway then refuses. A payment that never succeeded moves no money: the refund is only
    recorded. Each refund of an order gets its own idempotency key at the gateway
    (refund-<number>, then refund-<number>-2...), so a retry repeats that refund, never another.
    Returns None when there is nothing to give back.

    :raises RefundChanged: when refunded_fen is no longer `expected_refunded_fen`.
    :raises RefundTooLarge: when the amount is more than is left to refund now.
    :raises GatewayError: when the gateway refused or could not be reached.
    """
    if amount <= 0:
        return None
    db.session.flush()
    conditions = [Order.id == order.id, Order.refunded_fen + amount <= Order.total_fen]
    if expected_refunded_fen is not None:
        conditions.append(Order.refunded_fen == expected_refunded_fen)
    claimed = db.session.execute(
        update(Order)
        .where(*conditions)
        .values(refunded_fen=Order.refunded_fen + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(order, ["refunded_fen"])
    if claimed != 1:
        if expected_refunded_fen is not None and order.refunded_fen != expected_refunded_fen:
            raise RefundChanged()
        raise RefundTooLarge(amount, order.refundable_fen)
    sequence = (
        db.session.scalar(
            select(func.coalesce(func.max(OrderRefund.sequence), 0)).where(
                OrderRefund.order_id == order.id
            )
        )
        + 1
    )
    if not key:
        key = f"refund-{order.number}" if sequence == 1 else f"refund-{order.number}-{sequence}"
    payment = order.payment
    gateway_refund_id = payments.refund(payment, amount, key) if payment is not None else ""
    actor_kind, actor_id = _actor_fields(order, actor)
    refund = OrderRefund(
        order=order,
        sequence=sequence,
        amount_fen=amount,
        actor_kind=actor_kind,
        actor_id=actor_id,
        reason=reason,
        restocked=restocked,
        gateway_refund_id=gateway_refund_id,
        lines=[
            OrderRefundLine(order_line_id=line_id, quantity=quantity)
            for line_id, quantity in sorted((lines or {}).items())
            if quantity > 0
        ],
    )
    db.session.add(refund)
    db.session.flush()
    return refund


def _refund_at_gateway(
    order: Order, key: str = "", actor: User | str = "system", reason: str = ""
) -> int:
    """Give an order's unrefunded amount back through its payment's gateway; returns it.

    :raises GatewayError: when the gateway refused or could not be reached.
    """
    payment = order.payment
    if payment is None or payment.status != PaymentStatus.SUCCEEDED:
        return 0
    refund = _give_back(order, order.refundable_fen, actor, reason, key=key)
    return refund.amount_fen if refund else 0


def cancel_order(order: Order, actor: User, reason: str) -> None:
    """Cancel an order that has not shipped, with the reason the buyer reads; stock returns.

    A paid order's money goes back through the gateway first.

    :raises ReasonRequired: when no reason is given.
    :raises InvalidTransition: when the order can no longer be cancelled.
    :raises GatewayError: when the refund of a paid order failed (nothing changes then).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if not order.can_move_to(OrderStatus.CANCELLED):
        raise InvalidTransition(order.status, OrderStatus.CANCELLED)
    if order.payment_id is not None:
        lock_checkout(order.payment_id)
    was = order.status
    order.set_status(OrderStatus.CANCELLED, actor, note=reason)
    order.cancel_reason = reason
    if was == OrderStatus.PAID:
        _refund_at_gateway(order, actor=actor, reason=reason)
    _return_stock(order, _unreturned_quantities(order))
    _close_payment_if_all_cancelled(order.payment, _actor_fields(order, actor)[0])


def cancel_checkout(payment: Payment, actor: User | str, code: str = "buyer_cancelled") -> int:
    """The buyer gives up paying: cancel every unpaid order of the checkout. Returns how many.

    `code` is "replaced" when the buyer's newer checkout of the same cart took its place.
    """
    payment = lock_checkout(payment.id)
    cancelled = sum(cancel_unpaid(order, actor, code=code) for order in payment.orders)
    if payment.status in PaymentStatus.OPEN:
        # Only the checkout's buyer (or a guest holding its token) gets here.
        payment.set_status(
            PaymentStatus.CANCELLED, actor if isinstance(actor, str) else "buyer", code=code
        )
    db.session.flush()
    return cancelled


def _close_payment_if_all_cancelled(payment: Payment | None, actor_kind: str) -> None:
    if (
        payment is not None
        and payment.status in PaymentStatus.OPEN
        and all(order.status == OrderStatus.CANCELLED for order in payment.orders)
    ):
        payment.set_status(PaymentStatus.CANCELLED, actor_kind, code="orders_cancelled")


class NothingToRefund(ValueError):
    """The refund chose no money: a zero amount, or the order has nothing left to refund."""


class RefundTooLarge(ValueError):
    """The refund asks for more than was paid less what was already refunded."""

    def __init__(self, asked_fen: int, refundable_fen: int):
        super().__init__(f"asked {asked_fen} fen, only {refundable_fen} fen left to refund")
        self.asked_fen = asked_fen
        self.refundable_fen = refundable_fen


class RefundQuantityTooLarge(ValueError):
    """A line's refund quantity is more than was bought less what was already refunded."""

    def __init__(self, line_id: int, asked: int, left: int):
        super().__init__(f"line {line_id}: asked {asked}, only {left} left to refund")
        self.line_id = line_id
        self.asked = asked
        self.left = left


class RefundChanged(ValueError):
    """The order was refunded by someone else since the seller confirmed: nothing was done."""


def refunded_quantities(order: Order, restocked_only: bool = False) -> dict[int, int]:
    """How many of each of the order's lines earlier refunds were for (line id -> quantity)."""
    statement = (
        select(OrderRefundLine.order_line_id, func.sum(OrderRefundLine.quantity))
        .join(OrderRefund, OrderRefund.id == OrderRefundLine.refund_id)
        .where(OrderRefund.order_id == order.id)
        .group_by(OrderRefundLine.order_line_id)
    )
    if restocked_only:
        statement = statement.where(OrderRefund.restocked.is_(True))
    return {line_id: int(quantity) for line_id, quantity in db.session.execute(statement)}


def plan_refund(
    order: Order, line_quantities: dict[int, int] | None = None, amount_fen: int | None = None
) -> tuple[int, dict[int, int]]:
    """What a refund would give back: (amount in fen, line id -> quantity). Changes nothing.

    The amount is `amount_fen` when given, else what the chosen lines cost; with neither, it is
    everything left to refund, with every line's quantity not yet refunded.

    :raises RefundQuantityTooLarge: when a line is asked for more than is left of it, or the
        line is not the order's.
    :raises NothingToRefund: when the amount comes to zero (or less).
    :raises RefundTooLarge: when it is more than what was paid less what was refunded.
    """
    lines = {line.id: line for line in order.lines}
    already = refunded_quantities(order)
    chosen: dict[int, int] = {}
    for line_id, quantity in (line_quantities or {}).items():
        if quantity <= 0:
            continue
        line = lines.get(line_id)
        left = line.quantity - already.get(line_id, 0) if line else 0
        if quantity > left:
            raise RefundQuantityTooLarge(line_id, quantity, left)
        chosen[line_id] = quantity
    if amount_fen is None and chosen:
        amount_fen = sum(
            lines[line_id].unit_price_fen * quantity for line_id, quantity in chosen.items()
        )
    elif amount_fen is None:
        # Nothing chosen: all that is left, money and items.
        amount_fen = order.refundable_fen
        chosen = {
            line_id: line.quantity - already.get(line_id, 0)
            for line_id, line in lines.items()
            if line.quantity > already.get(line_id, 0)
        }
    if amount_fen <= 0:
        raise NothingToRefund()
    if amount_fen > order.refundable_fen:
        raise RefundTooLarge(amount_fen, order.refundable_fen)
    return amount_fen, chosen


def _lock_for_refund(order: Order) -> None:
    """Lock the order's payment (if any), then the order itself, and re-read what was refunded.

    The same order as every other change to a payment's orders (payment, orders, stock), so a
    refund never deadlocks with a webhook or a cancel; two refunds of one order wait in line.
    """
    if order.payment_id is not None:
        lock_checkout(order.payment_id)
    db.session.scalar(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def refund(
    order: Order,
    actor: User,
    reason: str,
    line_quantities: dict[int, int] | None = None,
    amount_fen: int | None = None,
    restock: bool = False,
    expected_refunded_fen: int | None = None,
) -> OrderRefund:
    """Give part or all of a paid order's money back through the gateway, and record it. Flushes.

    The amount comes from plan_refund(): typed, or what the chosen lines cost, or all that is
    left. It is checked again under the order's lock, so two refunds racing can never give back
    more than was paid. `expected_refunded_fen` is what the seller saw refunded when they
    confirmed: if it changed meanwhile (a double click, another tab) nothing is done.

    Stock returns only with `restock` (the seller says the refunded goods came back, or never
    left), and only for the chosen lines' quantities. When everything is refunded the order
    becomes refunded; before that it keeps its status (it may still ship) and is partly refunded.

    :raises ReasonRequired: when no reason is given.
    :raises InvalidTransition: when the order is not paid, shipped or delivered.
    :raises RefundChanged: when the order's refunds changed since the seller confirmed.
    :raises RefundQuantityTooLarge, NothingToRefund, RefundTooLarge: see plan_refund().
    :raises GatewayError: when the gateway refused the refund (nothing changes then).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if not order.can_move_to(OrderStatus.REFUNDED):
        raise InvalidTransition(order.status, OrderStatus.REFUNDED)
    _lock_for_refund(order)
    if not order.can_move_to(OrderStatus.REFUNDED):
        raise InvalidTransition(order.status, OrderStatus.REFUNDED)
    if expected_refunded_fen is not None and order.refunded_fen != expected_refunded_fen:
        raise RefundChanged()
    amount, chosen = plan_refund(order, line_quantities, amount_fen)
    restocked = bool(restock and chosen)
    made = _give_back(
        order,
        amount,
        actor,
        reason,
        chosen,
        restocked,
        expected_refunded_fen=(
            order.refunded_fen if expected_refunded_fen is None else expected_refunded_fen
        ),
    )
    # Checked again now that this refund holds the order: a racing refund of the same items
    # has either committed (and is counted) or waits for this one.
    _check_quantities_left(order, chosen)
    if restocked:
        _return_stock(order, chosen)
    if order.refunded_fen >= order.total_fen:
        order.set_status(OrderStatus.REFUNDED, actor, note=reason)
    else:
        order.record_event(order.status, order.status, actor, code="partly_refunded", note=reason)
    signals.order_refunded.send(order.shop, order=order, refund=made)
    return made


def _check_quantities_left(order: Order, chosen: dict[int, int]) -> None:
    """Refuse a refund whose lines, counted with every refund of the order, exceed what was bought.

    :raises RefundQuantityTooLarge: for the first such line.
    """
    counted = refunded_quantities(order)
    for line in order.lines:
        if line.id in chosen and counted.get(line.id, 0) > line.quantity:
            left = line.quantity - (counted[line.id] - chosen[line.id])
            raise RefundQuantityTooLarge(line.id, chosen[line.id], max(left, 0))


def _return_stock(order: Order, quantities: dict[int, int]) -> None:
    """Put some of an order's quantities back on stock (and on their discounts' caps)."""
    lines = {line.id: line for line in order.lines}
    chosen = [(lines[line_id], quantity) for line_id, quantity in quantities.items() if quantity]
    for line, quantity in sorted(chosen, key=lambda pair: pair[0].discount_id or 0):
        if line.discount_id is not None:
            release_discount_units(line.discount_id, quantity)
    for line, quantity in sorted(chosen, key=lambda pair: pair[0].id):
        if line.variant_id is not None:
            db.session.execute(
                update(Variant)
                .where(Variant.id == line.variant_id)
                .values(stock=Variant.stock + quantity)
                .execution_options(synchronize_session=False, stock_move=True)
            )


def _unreturned_quantities(order: Order) -> dict[int, int]:
    """Each line's quantity less what refunds already put back on stock."""
    returned = refunded_quantities(order, restocked_only=True)
    return {line.id: line.quantity - returned.get(line.id, 0) for line in order.lines}


def refund_order(order: Order, actor: User, reason: str) -> int:
    """Give all that is left of a paid order's money back; returns the amount refunded.

    Stock returns when the goods had not left yet (the order was paid, not shipped).

    :raises ReasonRequired: when no reason is given.
    :raises InvalidTransition: when the order is not paid, shipped or delivered.
    :raises GatewayError: when the gateway refused the refund (nothing changes then).
    """
    already = refunded_quantities(order)
    lines = {line.id: line.quantity - already.get(line.id, 0) for line in order.lines}
    made = refund(
        order,
        actor,
        reason,
        line_quantities=lines,
        amount_fen=order.refundable_fen,
        restock=order.status == OrderStatus.PAID,
    )
    return made.amount_fen


def record_gateway_refund(order: Order, actor: str) -> bool:
    """Mark an order refunded because the money went back at the gateway (e.g. its dashboard)."""
    if not order.can_move_to(OrderStatus.REFUNDED):
        return False
    was = order.status
    order.set_status(OrderStatus.REFUNDED, actor, code="refunded_at_gateway")
    left = order.refundable_fen
    if left > 0:
        order.refunded_fen = order.total_fen
        db.session.add(
            OrderRefund(
                order=order,
                sequence=len(order.refunds) + 1,
                amount_fen=left,
                actor_kind=actor,
                restocked=was == OrderStatus.PAID,
            )
        )
    if was == OrderStatus.PAID:
        _return_stock(order, _unreturned_quantities(order))
    signals.order_refunded.send(order.shop, order=order, refund=None)
    return True


def refund_late_payment(order: Order, actor: str) -> int:
    """Money arrived for an order already cancelled (it expired first): send it back at once.

    :raises GatewayError: when the refund failed; the event is then retried later.
    """
    amount = _refund_at_gateway(order, key=f"late-{order.number}", actor=actor)
    if amount:
        order.record_event(order.status, order.status, actor, code="late_payment_refunded")
    return amount


def mark_shipped(order: Order, actor: User, carrier: str, tracking_number: str) -> None:
    """Record that a paid order left, with the carrier and tracking number the buyer sees.

    :raises ShippingDetailsMissing: when either is empty.
    :raises InvalidTransition: when the order is not paid (or already shipped).
    """
    carrier, tracking_number = (carrier or "").strip(), (tracking_number or "").strip()
    if not carrier or not tracking_number:
        raise ShippingDetailsMissing()
    order.set_status(OrderStatus.SHIPPED, actor, note=f"{carrier} {tracking_number}")
    order.carrier = carrier
    order.tracking_number = tracking_number
    order.shipped_at = utcnow()
    notifications.order_shipped(order)
    signals.order_shipped.send(order.shop, order=order)


def mark_delivered(order: Order, actor: User | str) -> None:
    """Record that a shipped order arrived (the buyer confirms, or the seller knows).

    :raises InvalidTransition: when the order has not shipped.
    """
    order.set_status(OrderStatus.DELIVERED, actor)


#: The delivery fields a buyer may ask to change after checkout, and which must not be empty.
DELIVERY_FIELDS = ("contact_name", "phone", "province", "city", "district", "street", "postal_code")
REQUIRED_DELIVERY_FIELDS = ("contact_name", "phone", "street")


class AddressChangeNotAllowed(ValueError):
    """The delivery address can change only while the order is paid and not yet shipped."""


class InvalidDeliveryAddress(ValueError):
    """A new delivery field is empty where it is needed, too long, or not a delivery field."""


def change_delivery_address(order: Order, actor: User, **fields: str) -> None:
    """Change a paid, unshipped order's delivery fields and note it in the history. Flushes.

    The change is a compare-and-set on the status, so a parcel shipped at the same moment keeps
    the address it was labelled with.

    :raises InvalidDeliveryAddress: for an unknown field, an empty required one, or one too long.
    :raises AddressChangeNotAllowed: when the order is not paid, or has shipped meanwhile.
    """
    unknown = set(fields) - set(DELIVERY_FIELDS)
    if unknown:
        raise InvalidDeliveryAddress(f"not delivery fields: {sorted(unknown)}")
    values = {name: (value or "").strip() for name, value in fields.items()}
    for name, value in values.items():
        if name in REQUIRED_DELIVERY_FIELDS and not value:
            raise InvalidDeliveryAddress(f"{name} is empty")
        if len(value) > getattr(Order, name).type.length:
            raise InvalidDeliveryAddress(f"{name} is too long")
    if order.status != OrderStatus.PAID:
        raise AddressChangeNotAllowed(order.status)
    before = " ".join([order.contact_name, order.phone, *order.address_lines])
    db.session.flush()
    changed = db.session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == OrderStatus.PAID)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.refresh(order, ["status"])
        raise AddressChangeNotAllowed(order.status)
    for name, value in values.items():
        set_committed_value(order, name, value)
    after = " ".join([order.contact_name, order.phone, *order.address_lines])
    order.record_event(
        order.status, order.status, actor, code="address_changed", note=f"{before} → {after}"
    )


def expire_overdue(now: datetime | None = None, limit: int | None = None) -> int:
    """Cancel the orders of checkouts left unpaid past their deadline; stock returns.

    Returns how many orders were cancelled. Run by `flask expire-orders` and before every
    checkout reserves stock, so a shop without cron still frees what was abandoned.
    """
    now = now or utcnow()
    cancelled = 0
    for payment in payments.overdue_payments(now, limit, ORDERS_WITH_LINES):
        payment.set_status(PaymentStatus.EXPIRED, "system", code="expired")
        for order in payment.orders:
            cancelled += cancel_unpaid(order, "system", code="expired")
    db.session.flush()
    return cancelled


def seller_order(user: User, number: str) -> Order | None:
    """One of the seller's orders by number (another seller's is None, as if it did not exist)."""
    return db.session.scalar(
        select(Order)
        .join(Order.shop)
        .where(Order.number == number, Shop.owner_id == user.id)
        .options(
            selectinload(Order.lines),
            selectinload(Order.events),
            selectinload(Order.refunds).selectinload(OrderRefund.lines),
        )
    )


def order_by_number(number: str) -> Order | None:
    """An order with its lines, history and shop, by number."""
    return db.session.scalar(
        select(Order)
        .where(Order.number == (number or "").strip().upper())
        .options(
            selectinload(Order.lines),
            selectinload(Order.events),
            selectinload(Order.shop),
            selectinload(Order.refunds).selectinload(OrderRefund.lines),
        )
    )


def buyer_orders(user: User) -> list[Order]:
    """A customer's orders, newest first."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.buyer_id == user.id)
            .options(selectinload(Order.lines), selectinload(Order.shop))
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def variants_ever_ordered(variant_ids: list[int]) -> bool:
    """True when any of these variants appears in an order line (the seller pages ask this)."""
    return (
        db.session.scalar(
            select(OrderLine.id).where(OrderLine.variant_id.in_(variant_ids)).limit(1)
        )
        is not None
    )


def snapshot_line(
    variant: Variant, quantity: int, unit_price_fen: int, discount_id: int | None = None
) -> OrderLine:
    """An order line copying what the buyer saw: title, spec, unit price and its discount."""
    product = variant.product
    return OrderLine(
        product_id=product.id,
        variant_id=variant.id,
        title_zh=product.title_zh,
        title_en=product.title_en or "",
        spec_zh=variant.spec_zh,
        spec_en=variant.spec_en or "",
        sku=variant.sku or "",
        unit_price_fen=unit_price_fen,
        quantity=quantity,
        discount_id=discount_id,
    )


def delete_orders(order_ids: list[int]) -> None:
    """Delete these orders with their lines and history (a practice shop's reset).

    No stock moves: release what the orders still hold first. Their payments stay.
    """
    if not order_ids:
        return
    for model in (OrderEvent, OrderLine):
        db.session.execute(
            delete(model)
            .where(model.order_id.in_(order_ids))
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        delete(Order).where(Order.id.in_(order_ids)).execution_options(synchronize_session=False)
    )


def orderless_payments(payment_ids: list[int]) -> list[int]:
    """Those of these payments that no order points to (any more)."""
    if not payment_ids:
        return []
    return list(
        db.session.scalars(
            select(Payment.id).where(
                Payment.id.in_(payment_ids), ~exists().where(Order.payment_id == Payment.id)
            )
        )
    )
