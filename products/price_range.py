"""The usual price range of a category, from what its public listings cost today.

One place for "is this price far from what such things cost?": the seller's listing form asks for
a confirmation beyond it, and the organizer's review queue flags listings outside it. A typo such
as ¥9,999,999.99 for a box of pears is caught here, while an honest dear or cheap item still goes
through once its seller confirms.
"""

from sqlalchemy import select

from products.models import Product, ProductStatus, Shop, ShopKind, Variant
from shop.extensions import db

#: Below this many public prices a category has no usual range (too little to judge by).
FEWEST_PRICES = 5
#: A price more than this many times below or above the median counts as far from usual.
SPREAD = 5


def _public_prices_fen(category_id: int) -> list[int]:
    """Every variant price (fen) of the category's published exhibitor listings, ascending."""
    statement = (
        select(Variant.price_fen)
        .join(Variant.product)
        .join(Product.shop)
        .where(
            Product.category_id == category_id,
            Product.status == ProductStatus.PUBLISHED,
            Shop.kind == ShopKind.EXHIBITOR,
        )
        .order_by(Variant.price_fen)
    )
    return list(db.session.scalars(statement))


def usual_range(category_id: int | None) -> tuple[int, int] | None:
    """(lowest, highest) usual price in fen: the median of public prices /5 .. *5.

    None when the category is unknown or has fewer than FEWEST_PRICES public prices.
    """
    if not category_id:
        return None
    prices = _public_prices_fen(category_id)
    if len(prices) < FEWEST_PRICES:
        return None
    middle = len(prices) // 2
    median = prices[middle] if len(prices) % 2 else (prices[middle - 1] + prices[middle]) // 2
    return max(1, median // SPREAD), median * SPREAD


def is_far_from_usual(category_id: int | None, price_fen: int) -> bool:
    """True when the price lies outside the category's usual range (never without a range)."""
    bounds = usual_range(category_id)
    if bounds is None:
        return False
    lowest, highest = bounds
    return price_fen < lowest or price_fen > highest
