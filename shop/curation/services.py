"""Curation rules: which public products a region features, in what order."""

import re

from products import services as catalogue
from products.models import Product, Region
from shop.extensions import db
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
    ordered = sorted(
        (product for product in products.values() if product.featured),
        key=lambda product: (product.featured_position, product.id),
    )
    for position, product in enumerate(ordered, start=1):
        product.featured_position = position
    db.session.flush()
    return ordered
