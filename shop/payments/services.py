"""Payment rules: locking a payment, finding it, its deadlines, refunds at its gateway.

Payments know nothing of orders: a caller that needs a payment's orders loaded in a certain
way passes the loader option (e.g. the orders with their lines). Every function flushes at most
and never commits; the view (or the command) commits once.
"""

from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from shop.extensions import db
from shop.models_base import utcnow
from shop.payments.gateway import gateway_named
from shop.payments.models import Payment, PaymentStatus

#: After a gateway's own deadline, how long to wait for its "expired" or late "paid" event
#: before the expiry job releases the stock itself. The sandbox has no delay to wait for.
EXPIRY_GRACE = {"sandbox": timedelta(0), "stripe": timedelta(minutes=2)}


def _loads(options: tuple[LoaderOption, ...]) -> tuple[LoaderOption, ...]:
    """The caller's loader options, or else just the payment's orders."""
    return options or (selectinload(Payment.orders),)


def lock_payment(payment_id: int, *options: LoaderOption) -> Payment | None:
    """Load a payment and lock its row until commit (PostgreSQL; SQLite writes one at a time).

    Every change to a payment's orders takes this lock first, so the payment, its orders and
    then the stock are always locked in the same order and two requests never deadlock.
    `options` say how to load its orders (by default: the orders alone).
    """
    return db.session.scalar(
        select(Payment)
        .where(Payment.id == payment_id)
        .options(*_loads(options))
        .with_for_update(of=Payment)
        .execution_options(populate_existing=True)
    )


def hold_payment(payment_id: int, *options: LoaderOption) -> Payment | None:
    """Lock the payment's row until commit and read it again: a second tap of the same button
    waits here for the first, then sees what the first did. An UPDATE first, because that
    locks on SQLite too; then the row is read under the lock (its orders loaded as `options`
    say)."""
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return lock_payment(payment_id, *options)


def payment_by_token(token: str, *options: LoaderOption) -> Payment | None:
    """A checkout's payment by its token, its orders loaded as `options` say, or None."""
    return db.session.scalar(
        select(Payment).where(Payment.token == token).options(*_loads(options))
    )


def overdue_payments(
    now: datetime, limit: int | None = None, *options: LoaderOption
) -> list[Payment]:
    """Open payments past their gateway's deadline (plus grace), locked; others' locks skipped."""
    late = [
        and_(Payment.gateway == name, Payment.expires_at < now - grace)
        for name, grace in EXPIRY_GRACE.items()
    ]
    statement = (
        select(Payment)
        .where(Payment.status.in_(PaymentStatus.OPEN), or_(*late))
        .order_by(Payment.id)
        .options(*_loads(options))
        .with_for_update(skip_locked=True, of=Payment)
    )
    if limit:
        statement = statement.limit(limit)
    return list(db.session.scalars(statement))


def refund(payment: Payment, amount_fen: int, key: str) -> str:
    """Give `amount_fen` of a captured payment back at its gateway; returns the refund's id.

    The payment's refunded_fen grows in one UPDATE (its check constraint keeps it within what
    was paid). A payment that never succeeded moves no money: nothing happens, "" is returned.
    `key` makes a retry repeat this refund at the gateway, never make another.

    :raises GatewayError: when the gateway refused or could not be reached.
    """
    if payment.status != PaymentStatus.SUCCEEDED:
        return ""
    gateway_refund_id = gateway_named(payment.gateway).refund(payment, amount_fen, key)
    db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(refunded_fen=Payment.refunded_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment, ["refunded_fen"])
    return gateway_refund_id or ""


def delete_payments(payment_ids: list[int]) -> None:
    """Delete these payments (a practice shop's reset; no order may point to them any more)."""
    if not payment_ids:
        return
    db.session.execute(
        delete(Payment)
        .where(Payment.id.in_(payment_ids))
        .execution_options(synchronize_session=False)
    )
