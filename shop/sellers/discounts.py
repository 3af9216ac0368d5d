"""Limited-time discounts a seller schedules on their own variants (the live-sale practice).

Functions add and flush but never commit; the view commits once. Prices under a discount are
worked out in products.services (purchase_info); this module only keeps the schedule sound: a
window in the future, an amount that really is a discount, the seller's own variants, and never
two discounts on one variant at the same moment, so that at most one ever applies.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from products.models import (
    Discount,
    DiscountKind,
    Product,
    ProductStatus,
    Shop,
    Variant,
    discount_variant,
)
from products.services import discount_price_fen
from shop import signals
from shop.extensions import db
from shop.models_base import as_utc, current_language, utcnow
from shop.money import format_fen
from shop.sellers.services import NotYours, SellerError


class DiscountState:
    """Where a discount is in its life, as the seller's list groups them."""

    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"
    ALL = (RUNNING, SCHEDULED, ENDED)


class DiscountProblem(SellerError):
    """A discount that cannot be scheduled as asked; `field` names the form field to mark."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class AlreadyEnded(SellerError):
    """The discount has ended (or was ended) already."""


@dataclass(frozen=True)
class DiscountDetails:
    """What the seller asked for, read from the form (times in UTC, money in fen)."""

    name_zh: str
    name_en: str
    kind: str
    percent_off: int | None
    fixed_price_fen: int | None
    starts_at: datetime
    ends_at: datetime
    quantity_cap: int | None
    variant_ids: tuple[int, ...]


# --- 折: how Chinese sellers and buyers say a percentage ---------------------------------------
#
# "8 折" means the buyer pays 80% of the regular price (20% off); "8.5 折" pays 85%. Sellers type
# 1 to 9.9 with at most one decimal: that covers every percentage a discount may take off (1% to
# 90%) in the steps anyone uses, and nothing is guessed. "85" is refused with a pointer to 8.5,
# because a seller who types it means 85折 while the same digits read as a number would be 85.

_ZHE = re.compile(r"([1-9])(?:\.([0-9]))?", re.ASCII)
_ZHE_TWO_DIGITS = re.compile(r"([1-9])([0-9])", re.ASCII)


def percent_off_from_zhe(text: str | None) -> int:
    """The percentage off that a 折 typed by the seller stands for: "8" -> 20, "8.5" -> 15.

    :raises DiscountProblem: on anything but 1 to 9.9 with at most one decimal ("8 折" is fine).
    """
    typed = (text or "").strip().removesuffix("折").strip()
    match = _ZHE.fullmatch(typed)
    if match is None:
        two = _ZHE_TWO_DIGITS.fullmatch(typed)
        if two:
            meant = two[1] if two[2] == "0" else f"{two[1]}.{two[2]}"
            raise DiscountProblem(
                "zhe",
                _(
                    "For %(typed)s折 enter %(meant)s: 折 go from 1 to 9.9 "
                    "(8.5 means buyers pay 85%% of the regular price).",
                    typed=typed,
                    meant=meant,
                ),
            )
        raise DiscountProblem(
            "zhe", _("Enter 折 from 1 to 9.9 with at most one decimal, like 8 or 8.5.")
        )
    return 100 - (int(match[1]) * 10 + int(match[2] or 0))


def zhe_text(percent_off: int) -> str:
    """A percentage off as 折 digits: 20 -> "8", 15 -> "8.5"."""
    tenths = 100 - percent_off
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


def amount_text(discount: Discount) -> str:
    """What a discount takes off, in the reader's words: "8.5折" in Chinese, "15% off" in English,
    or its fixed price."""
    if discount.kind == DiscountKind.PERCENT:
        if current_language() == "zh":
            # 折 is the unit itself, like ¥ in money.py: Chinese readers say a percentage this way.
            return f"{zhe_text(discount.percent_off)}折"
        return _("%(percent)d%% off", percent=discount.percent_off)
    return _("fixed price %(price)s", price=format_fen(discount.fixed_price_fen))


def price_examples(discount: Discount, most: int = 3) -> str:
    """The chosen variants' regular and discount prices, for the message after scheduling:
    "5斤装 ¥39.90 → ¥31.92; 10斤装 ¥69.90 → ¥55.92 (and 2 more)"."""
    shown = []
    for variant in discount.variants[:most]:
        price = discount_price_fen(
            variant.price_fen, discount.kind, discount.percent_off, discount.fixed_price_fen
        )
        shown.append(
            f"{variant.product.localized('title')} · {variant.localized('spec')} "
            f"{format_fen(variant.price_fen)} → {format_fen(price)}"
        )
    text = "; ".join(shown)
    if len(discount.variants) > most:
        text += " " + _("(and %(count)d more)", count=len(discount.variants) - most)
    return text


def discount_state(discount: Discount, now: datetime | None = None) -> str:
    """Scheduled (not started), running, or ended (its end passed, or the seller ended it)."""
    now = now or utcnow()
    if discount.cancelled_at is not None or as_utc(discount.ends_at) <= now:
        return DiscountState.ENDED
    if as_utc(discount.starts_at) > now:
        return DiscountState.SCHEDULED
    return DiscountState.RUNNING


def own_discounts(shop: Shop) -> list[Discount]:
    """The shop's discounts, latest start first, with their variants and products loaded."""
    return list(
        db.session.scalars(
            select(Discount)
            .where(Discount.shop_id == shop.id)
            .options(selectinload(Discount.variants).joinedload(Variant.product))
            .order_by(Discount.starts_at.desc(), Discount.id.desc())
        )
    )


def own_discount(shop: Shop, discount_id: int, lock: bool = False) -> Discount:
    """One of the shop's discounts, locked until commit when asked (before its variants, in the
    order checkout takes them). :raises NotYours: for any other id."""
    statement = select(Discount).where(Discount.id == discount_id, Discount.shop_id == shop.id)
    discount = db.session.scalar(statement.with_for_update() if lock else statement)
    if discount is None:
        raise NotYours(discount_id)
    return discount


def discountable_products(shop: Shop) -> list[Product]:
    """The shop's listings a discount may be put on (all but archived), variants loaded."""
    return list(
        db.session.scalars(
            select(Product)
            .where(Product.shop_id == shop.id, Product.status != ProductStatus.ARCHIVED)
            .options(selectinload(Product.variants))
            .order_by(Product.created_at.desc(), Product.id.desc())
        )
    )


def _own_variants(shop: Shop, variant_ids: tuple[int, ...]) -> list[Variant]:
    """The chosen variants, locked until commit so two schedules cannot overlap in a race.

    :raises NotYours: when any id is not a variant of this shop's listings.
    """
    ids = sorted(set(variant_ids))
    variants = list(
        db.session.scalars(
            select(Variant)
            .join(Variant.product)
            .where(Variant.id.in_(ids), Product.shop_id == shop.id)
            .options(selectinload(Variant.product))
            .order_by(Variant.id)
            .with_for_update(of=Variant)
        )
    )
    if len(variants) != len(ids):
        raise NotYours(sorted(set(ids) - {variant.id for variant in variants}))
    return variants


def _overlapping(
    variant_ids: list[int], starts_at: datetime, ends_at: datetime, other_than: int | None = None
) -> Discount | None:
    """A live discount on any of these variants whose window meets [starts_at, ends_at)
    (the one being edited, `other_than`, does not count)."""
    statement = (
        select(Discount)
        .join(discount_variant, discount_variant.c.discount_id == Discount.id)
        .where(
            discount_variant.c.variant_id.in_(variant_ids),
            Discount.cancelled_at.is_(None),
            Discount.starts_at < ends_at,
            Discount.ends_at > starts_at,
        )
        .order_by(Discount.starts_at)
        .limit(1)
    )
    if other_than is not None:
        statement = statement.where(Discount.id != other_than)
    return db.session.scalar(statement)


def _check_amount(details: DiscountDetails, variants: list[Variant]) -> None:
    if details.kind == DiscountKind.PERCENT:
        if details.percent_off is None or not 1 <= details.percent_off <= 99:
            raise DiscountProblem("percent_off", _("Enter a percentage from 1 to 99."))
        return
    if details.kind != DiscountKind.FIXED_PRICE:
        raise DiscountProblem("kind", _("Choose a percentage off or a fixed price."))
    if details.fixed_price_fen is None or details.fixed_price_fen <= 0:
        raise DiscountProblem("fixed_price", _("Enter the discount price in yuan, like 29.9."))
    # A "discount" at or above the regular price would mislead buyers with a struck-through price.
    for variant in variants:
        if details.fixed_price_fen >= variant.price_fen:
            raise DiscountProblem(
                "fixed_price",
                _(
                    "The discount price must be below the regular price of every chosen "
                    "variant: %(title)s, %(spec)s costs %(price)s.",
                    title=variant.product.localized("title"),
                    spec=variant.localized("spec"),
                    price=format_fen(variant.price_fen),
                ),
            )


def _checked_variants(
    shop: Shop, details: DiscountDetails, now: datetime, other_than: int | None = None
) -> list[Variant]:
    """The chosen variants, locked, once the details pass the rules of a schedule.

    :raises NotYours: when a chosen variant is not this shop's.
    :raises DiscountProblem: as described for schedule_discount.
    """
    if not details.variant_ids:
        raise DiscountProblem("variants", _("Choose at least one variant."))
    variants = _own_variants(shop, details.variant_ids)
    if details.ends_at <= details.starts_at:
        raise DiscountProblem("ends_at", _("The end must be after the start."))
    if details.ends_at <= now:
        raise DiscountProblem("ends_at", _("The end must be in the future."))
    _check_amount(details, variants)
    if details.quantity_cap is not None and details.quantity_cap < 1:
        raise DiscountProblem("quantity_cap", _("Enter a cap of at least 1, or leave it empty."))
    clash = _overlapping(
        [variant.id for variant in variants], details.starts_at, details.ends_at, other_than
    )
    if clash is not None:
        raise DiscountProblem(
            "variants",
            _(
                "Another discount (%(name)s) already covers a chosen variant during this time. "
                "A variant can have only one discount at a time: change the dates or the variants.",
                name=discount_label(clash),
            ),
        )
    return variants


def schedule_discount(
    shop: Shop, details: DiscountDetails, now: datetime | None = None
) -> Discount:
    """Schedule a limited-time discount on some of the shop's variants. Flushes.

    :raises NotYours: when a chosen variant is not this shop's.
    :raises DiscountProblem: for a window that ends before it starts or in the past, an amount
        that is no discount, no variant chosen, or a window that overlaps another discount of
        one of the variants (only one discount may apply to a variant at a time).
    """
    now = now or utcnow()
    variants = _checked_variants(shop, details, now)
    percent = details.kind == DiscountKind.PERCENT
    discount = Discount(
        shop_id=shop.id,
        name_zh=details.name_zh.strip(),
        name_en=details.name_en.strip(),
        kind=details.kind,
        percent_off=details.percent_off if percent else None,
        fixed_price_fen=None if percent else details.fixed_price_fen,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        quantity_cap=details.quantity_cap,
        quantity_sold=0,
        variants=variants,
    )
    db.session.add(discount)
    db.session.flush()
    signals.discount_scheduled.send(shop, discount=discount)
    return discount


def update_discount(
    shop: Shop, discount: Discount, details: DiscountDetails, now: datetime | None = None
) -> None:
    """Change a scheduled or running discount of the shop, under the rules of a schedule. Flushes.

    A scheduled discount may change in every part. A running one keeps its kind, amount, start
    and variants, which buyers have already seen and paid: only its names, its end and its cap
    change (the cap never below the units sold under it). Lock the discount first
    (own_discount(lock=True)) so a checkout cannot count units against it meanwhile.

    :raises AlreadyEnded: when it has ended.
    :raises NotYours: when a chosen variant is not this shop's.
    :raises DiscountProblem: as for schedule_discount, for a change a running discount refuses,
        or a cap below the units already sold.
    """
    now = now or utcnow()
    state = discount_state(discount, now)
    if state == DiscountState.ENDED:
        raise AlreadyEnded(_("This discount has ended, so it can no longer be changed."))
    variants = _checked_variants(shop, details, now, other_than=discount.id)
    percent = details.kind == DiscountKind.PERCENT
    amount = (
        details.kind,
        details.percent_off if percent else None,
        None if percent else details.fixed_price_fen,
    )
    if state == DiscountState.RUNNING:
        running = _(
            "This discount is running: its price, start and variants stay as buyers saw them. "
            "To change them, end it and schedule a new one."
        )
        if amount != (discount.kind, discount.percent_off, discount.fixed_price_fen):
            raise DiscountProblem("kind", running)
        if as_utc(details.starts_at) != as_utc(discount.starts_at):
            raise DiscountProblem("starts_at", running)
        if {variant.id for variant in variants} != {variant.id for variant in discount.variants}:
            raise DiscountProblem("variants", running)
    if details.quantity_cap is not None and details.quantity_cap < discount.quantity_sold:
        raise DiscountProblem(
            "quantity_cap",
            _(
                "%(sold)d units have been sold at this price already: enter a cap of at least "
                "%(sold)d, or leave it empty.",
                sold=discount.quantity_sold,
            ),
        )
    discount.name_zh = details.name_zh.strip()
    discount.name_en = details.name_en.strip()
    discount.kind, discount.percent_off, discount.fixed_price_fen = amount
    # SQLite reads times back without a zone: compare in UTC, so an unchanged time is not rewritten.
    if as_utc(discount.starts_at) != details.starts_at:
        discount.starts_at = details.starts_at
    if as_utc(discount.ends_at) != details.ends_at:
        discount.ends_at = details.ends_at
    discount.quantity_cap = details.quantity_cap
    if {variant.id for variant in variants} != {variant.id for variant in discount.variants}:
        discount.variants = variants
    db.session.flush()


def end_discount(discount: Discount, now: datetime | None = None) -> None:
    """End a scheduled or running discount now: from this moment it no longer applies. Flushes.

    :raises AlreadyEnded: when it has ended already.
    """
    now = now or utcnow()
    if discount_state(discount, now) == DiscountState.ENDED:
        raise AlreadyEnded(_("This discount has already ended."))
    discount.cancelled_at = now
    db.session.flush()


def discount_label(discount: Discount) -> str:
    """The discount's name in the reader's language (else the other one, else its number)."""
    language = current_language()
    other = "en" if language == "zh" else "zh"
    name = getattr(discount, f"name_{language}") or getattr(discount, f"name_{other}")
    return name or _("discount #%(number)d", number=discount.id)
