"""The trainee's rules: joining a cohort, ticking lessons, the practice shop and its reset.

Functions add and flush but never commit; the view commits once. Lesson ticks and cohort
memberships are written with INSERT ... ON CONFLICT DO NOTHING, so two requests racing to
tick the same lesson (a double click, a webhook and a page view) both succeed and one row stays.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from products.models import Discount, Product, ProductStatus, Shop, ShopKind
from shop.accounts.join_codes import MAX_CODE_INPUT, UnknownJoinCode
from shop.accounts.models import Role, User
from shop.extensions import db
from shop.messages import services as inbox
from shop.messages.models import Message, Thread
from shop.models_base import as_utc, utcnow
from shop.orders import services as orders
from shop.orders.models import Order, OrderStatus
from shop.payments import services as payments
from shop.training.lessons import LESSON_KEYS
from shop.training.models import Cohort, CohortMember, LessonCompletion

#: Orders whose stock is still held for them: reserved at checkout and not shipped yet.
STOCK_HELD = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)


class TrainingError(ValueError):
    """A training rule was not met; the message is for the person (already translated)."""


class NotAPracticeShop(TrainingError):
    """Only a trainee's practice shop can be previewed, shared as practice or reset."""


# --- Writes that may race ---------------------------------------------------------------------


def _insert_once(table, values: dict, unique_columns: list[str]) -> bool:
    """INSERT a row unless one with the same unique columns exists; True when this inserted it.

    ON CONFLICT DO NOTHING works the same on SQLite and PostgreSQL and, unlike catching the
    IntegrityError, never spoils the request's transaction when another request won the race.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql_insert(table).on_conflict_do_nothing(index_elements=unique_columns)
    elif dialect == "sqlite":
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=unique_columns)
    else:  # pragma: no cover - the shop runs on SQLite and PostgreSQL only
        statement = insert(table)
    return db.session.execute(statement.values(**values).returning(table.c.id)).first() is not None


# --- Lessons ----------------------------------------------------------------------------------


def tick_lesson(user_id: int, key: str) -> bool:
    """Record that the trainee did a lesson (the first time counts). True when newly ticked.

    :raises ValueError: for a key that is not a lesson.
    """
    if key not in LESSON_KEYS:
        raise ValueError(f"unknown lesson {key!r}")
    return _insert_once(
        LessonCompletion.__table__,
        {"user_id": user_id, "lesson": key, "completed_at": utcnow()},
        ["user_id", "lesson"],
    )


def completed_lessons(user_id: int) -> dict[str, datetime]:
    """{lesson key: when it was first done (UTC)} for one trainee."""
    rows = db.session.execute(
        select(LessonCompletion.lesson, LessonCompletion.completed_at).where(
            LessonCompletion.user_id == user_id
        )
    )
    return {lesson: as_utc(moment) for lesson, moment in rows if lesson in LESSON_KEYS}


# --- Cohorts ----------------------------------------------------------------------------------


def normalize_join_code(code: str | None) -> str:
    """What a code means, however it was typed: ' ab-c2 3d ' -> 'ABC23D'."""
    return re.sub(r"[\s\-\u2010-\u2015\uff0d]", "", code or "").upper()


def cohort_by_code(code: str | None) -> Cohort | None:
    """The cohort with this join code (case, spaces and dashes ignored), or None."""
    wanted = normalize_join_code(code)
    if not wanted or len(code or "") > MAX_CODE_INPUT:
        return None
    stored = func.upper(func.replace(func.replace(Cohort.join_code, "-", ""), " ", ""))
    return db.session.scalar(select(Cohort).where(stored == wanted).limit(1))


def cohorts_of(user: User) -> list[Cohort]:
    """The cohorts a person is a member of, newest first, with their trainer and region."""
    return list(
        db.session.scalars(
            select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id)
            .options(selectinload(Cohort.trainer), selectinload(Cohort.region))
            .order_by(Cohort.starts_on.desc(), Cohort.id.desc())
        )
    )


def cohort_to_join(code: str | None) -> Cohort:
    """The cohort a join code opens.

    :raises UnknownJoinCode: when no cohort has the code.
    """
    cohort = cohort_by_code(code)
    if cohort is None:
        raise UnknownJoinCode()
    return cohort


def join_cohort(user: User, code: str) -> tuple[Cohort, bool]:
    """Make the person a trainee member of the cohort with this code; (cohort, newly joined).

    Joining a cohort one is already in changes nothing.
    :raises UnknownJoinCode: when no cohort has the code.
    """
    cohort = cohort_to_join(code)
    user.add_role(Role.TRAINEE)
    db.session.flush()
    joined = _insert_once(
        CohortMember.__table__,
        {"cohort_id": cohort.id, "user_id": user.id, "joined_at": utcnow()},
        ["cohort_id", "user_id"],
    )
    return cohort, joined


# --- The practice shop ------------------------------------------------------------------------


def practice_shop_of(user: User) -> Shop | None:
    """The person's practice shop, or None (no shop yet, or theirs is a real exhibitor shop)."""
    return db.session.scalar(
        select(Shop)
        .where(Shop.owner_id == user.id, Shop.kind == ShopKind.PRACTICE)
        .order_by(Shop.id)
        .limit(1)
    )


def ensure_preview_token(shop: Shop) -> str:
    """The practice shop's private preview token, made on first use. Flushes when it makes one.

    :raises NotAPracticeShop: for an exhibitor shop (its public pages are its preview).
    """
    if not shop.is_practice:
        raise NotAPracticeShop(_("Only a practice shop has a private preview."))
    if not shop.preview_token:
        shop.preview_token = secrets.token_urlsafe(24)
        db.session.flush()
    return shop.preview_token


def preview_shop(token: str) -> Shop | None:
    """The practice shop whose preview link this is (an exhibitor shop never), or None."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(
        select(Shop).where(Shop.preview_token == token, Shop.kind == ShopKind.PRACTICE)
    )


def _published_of(shop: Shop):
    return (
        select(Product)
        .where(Product.shop_id == shop.id, Product.status == ProductStatus.PUBLISHED)
        .options(
            selectinload(Product.variants),
            selectinload(Product.images),
            selectinload(Product.region),
            selectinload(Product.category),
        )
    )


def published_products(shop: Shop) -> list[Product]:
    """A shop's published listings, newest first, with what a card or share entry shows."""
    return list(
        db.session.scalars(
            _published_of(shop).order_by(Product.created_at.desc(), Product.id.desc())
        )
    )


def published_product(shop: Shop, product_id: int) -> Product | None:
    """One published listing of the shop, or None (drafts, archived and others' ids alike)."""
    return db.session.scalar(_published_of(shop).where(Product.id == product_id))


# --- Reset ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopActivity:
    """What a practice shop holds: what a reset clears and what it keeps."""

    orders: int
    messages: int
    listings: int
    discounts: int


def shop_activity(shop: Shop) -> ShopActivity:
    """Count the shop's orders, messages, listings and discounts (for the reset page)."""
    return ShopActivity(
        orders=db.session.scalar(select(func.count(Order.id)).where(Order.shop_id == shop.id)),
        messages=db.session.scalar(
            select(func.count(Message.id)).join(Thread).where(Thread.shop_id == shop.id)
        ),
        listings=db.session.scalar(
            select(func.count(Product.id)).where(Product.shop_id == shop.id)
        ),
        discounts=db.session.scalar(
            select(func.count(Discount.id)).where(Discount.shop_id == shop.id)
        ),
    )


@dataclass(frozen=True)
class ResetResult:
    """What a reset cleared."""

    orders: int
    messages: int


def reset_practice_shop(shop: Shop) -> ResetResult:
    """Clear a practice shop's orders (lines, history, threads, messages) and orphaned payments.

    Stock still held by unpaid or paid-but-unshipped orders goes back first. Listings, photos,
    discounts and the trainee's lesson ticks stay.
    :raises NotAPracticeShop: for an exhibitor shop, whose orders are real and kept forever.
    """
    if not shop.is_practice:
        raise NotAPracticeShop(_("Only a practice shop can be reset."))
    payment_ids = sorted(
        set(
            db.session.scalars(
                select(Order.payment_id).where(
                    Order.shop_id == shop.id, Order.payment_id.is_not(None)
                )
            )
        )
    )
    # The same lock order as every payment change, so a practice payment arriving right now
    # either lands before the reset (and its stock is counted) or finds its orders gone.
    locked = [orders.lock_checkout(payment_id) for payment_id in payment_ids]
    shop_orders = db.session.scalars(
        select(Order)
        .where(Order.shop_id == shop.id)
        .options(selectinload(Order.lines))
        .execution_options(populate_existing=True)
    ).all()
    for order in shop_orders:
        if order.status in STOCK_HELD:
            orders.release_stock(order)
    order_ids = [order.id for order in shop_orders]
    # Each package deletes its own rows: threads first (they point to orders), then the orders,
    # then the payments no order points to any more (a checkout may also have paid other shops).
    messages = inbox.delete_threads(shop)
    orders.delete_orders(order_ids)
    payments.delete_payments(orders.orderless_payments(payment_ids))
    # The deleted rows must not linger in this session (expunging an order takes its lines).
    for gone in (*shop_orders, *locked):
        if gone is not None and gone in db.session:
            db.session.expunge(gone)
    db.session.flush()
    return ResetResult(orders=len(order_ids), messages=messages)
