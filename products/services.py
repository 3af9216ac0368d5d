"""Catalogue rules: what is public, price and availability, publishing."""

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from products.models import Product, ProductStatus, Shop, ShopKind, Variant
from shop.extensions import db

#: At or below this many units a product page says "only N left".
LOW_STOCK = 5


@dataclass(frozen=True)
class PurchaseInfo:
    """What a buyer can pay and get for one variant right now."""

    price_fen: int
    stock: int
    available: bool
    low_stock: bool


def purchase_info(variant: Variant) -> PurchaseInfo:
    """Price and availability of a variant: the one place views and templates read them from."""
    return PurchaseInfo(
        price_fen=variant.price_fen,
        stock=variant.stock,
        available=variant.stock > 0,
        low_stock=0 < variant.stock <= LOW_STOCK,
    )


def lowest_price_fen(product: Product) -> int | None:
    """The cheapest variant's price, or None for a product with no variants."""
    prices = [purchase_info(variant).price_fen for variant in product.variants]
    return min(prices) if prices else None


def in_stock(product: Product) -> bool:
    """True when any variant can be bought."""
    return any(purchase_info(variant).available for variant in product.variants)


def public_products() -> Select:
    """Published products of exhibitor shops, with what a card shows loaded up front."""
    return (
        select(Product)
        .join(Product.shop)
        .where(Product.status == ProductStatus.PUBLISHED, Shop.kind == ShopKind.EXHIBITOR)
        .options(
            selectinload(Product.variants),
            selectinload(Product.images),
        )
    )


def is_public(product: Product) -> bool:
    """True when anyone may see this product on the public site."""
    return product.status == ProductStatus.PUBLISHED and product.shop.kind == ShopKind.EXHIBITOR


def publish(product: Product) -> None:
    """Make a listing visible to buyers.

    :raises ValueError: when the product has no variant to buy.
    """
    if not product.variants:
        raise ValueError("a product needs at least one variant")
    product.status = ProductStatus.PUBLISHED
    db.session.flush()
