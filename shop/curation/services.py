"""Curation rules: featured products and their order; which shops and listings may be public."""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from products import services as catalogue
from products.models import Product, ProductStatus, Region, Shop, ShopKind
from products.price_range import usual_range
from shop.extensions import db
from shop.models_base import utcnow
from shop.parsing import LARGEST_ID, whole_number

#: How many of a region's other products the featured page offers to pick from.
CANDIDATES = 30


class CurationError(ValueError):
    """A curation request that cannot be carried out; the message is shown to the organizer."""


def product_numbers(text: str) -> list[int]:
    """Product numbers typed or pasted by an organizer: '12, 40' or '/products/12-pears'.

    Numbers too large to be any product's id come back too, so that they can be reported.
    """
    return [
        whole_number(number, most=10**40)
        for number in re.findall(r"(?<![\w-])([0-9]{1,40})(?=$|[\s,;，、-])", text or "")
    ]


def candidates(region: Region) -> list[Product]:
    """The region's newest public products that are not featured, to choose from."""
    return list(
        db.session.scalars(
            catalogue.public_products()
            .where(Product.region_id == region.id, Product.featured.is_(False))
            .order_by(Product.created_at.desc(), Product.id.desc())
            .limit(CANDIDATES)
        )
    )


def arrange_featured(
    region: Region, shown: set[int], chosen: dict[int, int | None], added: list[int]
) -> list[Product]:
    """Set a region's featured products and their order; returns them in the new order.

    `shown` are the ids the organizer's form listed, `chosen` maps the ticked ones to the
    position typed beside them (None when left empty: after the numbered ones), `added` are
    extra product numbers to feature last. Products of the region not on the form keep their
    state.

    :raises CurationError: when an added number is not a public product of this region.
    """
    chosen = dict(chosen)
    # A number past the id column names no product (and the database would refuse it).
    wanted = {number for number in set(shown) | set(chosen) | set(added) if number <= LARGEST_ID}
    products = {
        product.id: product
        for product in db.session.scalars(
            catalogue.public_products().where(
                Product.region_id == region.id,
                (Product.id.in_(wanted)) | Product.featured.is_(True),
            )
        )
    }
    unknown = [number for number in added if number not in products]
    if unknown:
        raise CurationError(", ".join(str(number) for number in unknown))
    for number in shown:
        if number in products and number not in chosen:
            products[number].featured = False
    last = max((position for position in chosen.values() if position is not None), default=0)
    unnumbered = [number for number, position in chosen.items() if position is None]
    for offset, number in enumerate(unnumbered + added, start=1):
        if chosen.get(number) is None:
            chosen[number] = last + offset
    for number, position in chosen.items():
        if number in products:
            products[number].featured = True
            products[number].featured_position = position
    # Featured listings off sale for now (their seller unpublished them, or the shop is
    # suspended) are not on the form but keep their place: numbered with the others, so that
    # saving the board does not move the rest into their place.
    off_sale = db.session.scalars(
        select(Product).where(
            Product.region_id == region.id,
            Product.featured.is_(True),
            Product.id.not_in(products),
        )
    ).all()
    ordered = sorted(
        [product for product in products.values() if product.featured] + off_sale,
        key=lambda product: (product.featured_position, product.id),
    )
    for position, product in enumerate(ordered, start=1):
        product.featured_position = position
    db.session.flush()
    return [product for product in ordered if product.id in products]


def move_featured(region: Region, product_id: int, step: int) -> None:
    """Swap a featured product with its neighbour above (step -1) or below (step +1).

    Nothing happens at either end of the list or for a product that is not featured here.
    """
    ordered = catalogue.featured_by_region(region).get(region.id, [])
    index = next((i for i, product in enumerate(ordered) if product.id == product_id), None)
    if index is None or not 0 <= index + step < len(ordered):
        return
    moved, neighbour = ordered[index], ordered[index + step]
    if moved.featured_position != neighbour.featured_position:
        # Trading places leaves every other position, those of listings off sale for now too.
        moved.featured_position, neighbour.featured_position = (
            neighbour.featured_position,
            moved.featured_position,
        )
    else:
        ordered[index], ordered[index + step] = neighbour, moved
        for position, product in enumerate(ordered, start=1):
            product.featured_position = position
    db.session.flush()


@dataclass(frozen=True)
class CardFacts:
    """What the organizer's board shows of a product besides its title and photo."""

    price_fen: int | None
    stock: int
    quality: int


def card_facts(products: Iterable[Product]) -> dict[int, CardFacts]:
    """Lowest price now, stock across variants and listing quality score of each product."""
    return {
        product.id: CardFacts(
            price_fen=catalogue.lowest_price_fen(product),
            stock=sum(catalogue.purchase_info(variant).stock for variant in product.variants),
            quality=catalogue.quality_score(product).score,
        )
        for product in products
    }


# --- Who may publish: shop approval, suspension, the review queue ------------------------


def shops_awaiting_approval() -> list[Shop]:
    """Exhibitor shops that signed up and wait for an organizer, oldest first."""
    return list(
        db.session.scalars(
            select(Shop)
            .where(Shop.kind == ShopKind.EXHIBITOR, Shop.approved_at.is_(None))
            .options(joinedload(Shop.region))
            .order_by(Shop.created_at, Shop.id)
        )
    )


def suspended_shops() -> list[Shop]:
    """Shops an organizer suspended, most recent first."""
    return list(
        db.session.scalars(
            select(Shop)
            .where(Shop.suspended_at.is_not(None))
            .options(joinedload(Shop.region))
            .order_by(Shop.suspended_at.desc(), Shop.id)
        )
    )


def listings_awaiting_review() -> list[Product]:
    """Published exhibitor listings held back for an organizer (first listings, odd prices)."""
    return list(
        db.session.scalars(
            select(Product)
            .join(Product.shop)
            .where(
                Product.status == ProductStatus.PUBLISHED,
                Product.review_reason.is_not(None),
                Shop.kind == ShopKind.EXHIBITOR,
            )
            .options(
                contains_eager(Product.shop),
                joinedload(Product.category),
                joinedload(Product.region),
                selectinload(Product.variants),
                selectinload(Product.images),
            )
            .order_by(Product.updated_at, Product.id)
        )
    )


def usual_ranges(products: Iterable[Product]) -> dict[int, tuple[int, int] | None]:
    """The usual price range of each listed product's category (one lookup per category)."""
    ranges: dict[int | None, tuple[int, int] | None] = {}
    found = {}
    for product in products:
        if product.category_id not in ranges:
            ranges[product.category_id] = usual_range(product.category_id)
        found[product.id] = ranges[product.category_id]
    return found


def exhibitor_shop(shop_id: int) -> Shop | None:
    """An exhibitor shop by id (practice shops are the trainers' business), or None."""
    return db.session.scalar(
        select(Shop).where(Shop.id == shop_id, Shop.kind == ShopKind.EXHIBITOR)
    )


def listing_in_review(product_id: int) -> Product | None:
    """A listing waiting in the review queue, or None."""
    return db.session.scalar(
        select(Product)
        .join(Product.shop)
        .where(
            Product.id == product_id,
            Product.status == ProductStatus.PUBLISHED,
            Product.review_reason.is_not(None),
            Shop.kind == ShopKind.EXHIBITOR,
        )
    )


def approve_shop(shop: Shop) -> None:
    """Let an exhibitor shop's published listings go public (approving twice changes nothing)."""
    if shop.approved_at is None:
        shop.approved_at = utcnow()
    db.session.flush()


def suspend_shop(shop: Shop, reason: str) -> None:
    """Take a whole shop off the public site with a reason its seller reads.

    :raises CurationError: when no reason is given (the seller must learn what to fix).
    """
    reason = (reason or "").strip()
    if not reason:
        raise CurationError("a suspension reason is required")
    if shop.suspended_at is None:
        shop.suspended_at = utcnow()
    shop.suspension_reason = reason
    db.session.flush()


def lift_suspension(shop: Shop) -> None:
    """Make a suspended shop public again (if it is approved)."""
    shop.suspended_at = None
    shop.suspension_reason = ""
    db.session.flush()


def approve_listing(product: Product) -> None:
    """Let a listing out of the review queue: public from now on (if its shop is)."""
    product.review_reason = None
    db.session.flush()
