"""Catalogue rules: what is public, price and availability, listings, publishing."""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime

from sqlalchemy import Select, and_, event, func, inspect, or_, select, true, update
from sqlalchemy.orm import Session, contains_eager, joinedload, object_session, selectinload

from products import freshness
from products.models import (
    Category,
    Discount,
    DiscountKind,
    Product,
    ProductStatus,
    Region,
    ReviewReason,
    Shop,
    ShopKind,
    Variant,
    discount_variant,
)
from products.price_range import is_far_from_usual
from shop.extensions import db
from shop.models_base import Bilingual, as_utc, utcnow
from shop.parsing import NotAWholeNumber, whole_number

#: At or below this many units a product page says "only N left".
LOW_STOCK = 5
#: Product cards per listing page, and the most an API client may ask for.
PER_PAGE = 24
MAX_PER_PAGE = 60
#: The highest page number a listing may be asked for: a bound on what a crafted number costs.
MAX_PAGE = 100_000
#: Listing orders: the organizer's featured ones first, newest, cheapest, dearest.
SORTS = ("featured", "newest", "price_asc", "price_desc")


@dataclass(frozen=True)
class ActiveDiscount(Bilingual):
    """The limited-time discount a variant is sold under right now (what pages and carts show)."""

    id: int
    name_zh: str
    name_en: str
    #: When it stops applying (timezone-aware UTC): pages count down to it.
    ends_at: datetime
    #: Units still to sell at the discount price; None when the discount has no cap.
    units_left: int | None


@dataclass(frozen=True)
class PurchaseInfo:
    """What a buyer can pay and get for one variant right now."""

    #: The price of one unit now: the discount price inside a discount's window, else regular.
    price_fen: int
    stock: int
    available: bool
    low_stock: bool
    #: The variant's own price, shown struck through next to a discount price.
    regular_price_fen: int
    #: The discount giving price_fen, or None (a cart may still charge the regular price for a
    #: line larger than what is left under the discount's cap: see shop.cart.services).
    discount: ActiveDiscount | None = None


def purchase_info(variant: Variant, now: datetime | None = None) -> PurchaseInfo:
    """Price and availability of a variant: the one place views and templates read them from."""
    # A variant not saved yet (no id) cannot be on a discount. The discount is read through the
    # variant's own session (the search indexer reads with one of its own after a commit).
    session = object_session(variant) or db.session
    discount = active_discount(variant.id, now, session) if variant.id is not None else None
    if variant.id is not None:
        freshness.note_stock(variant.id, variant.stock)
    price_fen = variant.price_fen
    if discount is not None:
        price_fen = discount_price_fen(
            variant.price_fen, discount.kind, discount.percent_off, discount.fixed_price_fen
        )
    return PurchaseInfo(
        price_fen=price_fen,
        stock=variant.stock,
        available=variant.stock > 0,
        low_stock=0 < variant.stock <= LOW_STOCK,
        regular_price_fen=variant.price_fen,
        discount=discount.shown() if discount is not None else None,
    )


def lowest_price_fen(product: Product) -> int | None:
    """The cheapest variant's price now (discounts included), or None with no variants."""
    prices = [purchase_info(variant).price_fen for variant in product.variants]
    return min(prices) if prices else None


def lowest_regular_price_fen(product: Product) -> int | None:
    """The cheapest variant's own price, discounts left out, or None with no variants.

    What lasts: the search index and listing sorts use it, so a discount starting or ending by
    the clock never leaves them stale.
    """
    prices = [variant.price_fen for variant in product.variants]
    return min(prices) if prices else None


def in_stock(product: Product) -> bool:
    """True when any variant can be bought."""
    return any(purchase_info(variant).available for variant in product.variants)


# --- Limited-time discounts ---------------------------------------------------------------
#
# A page asks purchase_info() once per variant, from templates as much as from code. So that
# no page costs a query per variant, the first question in a session loads the discounts of
# every variant the session holds (the page's products were loaded with their variants) in one
# query, and later questions read that. The loaded rows are forgotten as soon as the session
# writes anything, commits or rolls back, so a price is never read from a stale cap or window.


def discount_price_fen(
    regular_fen: int, kind: str, percent_off: int | None, fixed_price_fen: int | None
) -> int:
    """A unit price under a discount, in whole fen and never above the regular price.

    Percent: regular * (100 - p) / 100, rounded half up to the fen in integers (no float), at
    least 1 fen. Fixed price: that price, or the regular one if the seller has since lowered it.
    """
    if kind == DiscountKind.PERCENT:
        return max(1, (regular_fen * (100 - (percent_off or 0)) + 50) // 100)
    return max(1, min(fixed_price_fen or regular_fen, regular_fen))


@dataclass(frozen=True)
class _DiscountRow:
    """One not-cancelled, not-yet-ended discount of a variant, as loaded."""

    id: int
    name_zh: str
    name_en: str
    kind: str
    percent_off: int | None
    fixed_price_fen: int | None
    starts_at: datetime
    ends_at: datetime
    quantity_cap: int | None
    quantity_sold: int

    def applies_at(self, now: datetime) -> bool:
        """Inside its window and not sold out under its cap."""
        if not self.starts_at <= now < self.ends_at:
            return False
        return self.quantity_cap is None or self.quantity_sold < self.quantity_cap

    def shown(self) -> ActiveDiscount:
        """What pages and carts show of it."""
        return ActiveDiscount(
            id=self.id,
            name_zh=self.name_zh,
            name_en=self.name_en,
            ends_at=self.ends_at,
            units_left=None
            if self.quantity_cap is None
            else self.quantity_cap - self.quantity_sold,
        )


#: Key of the loaded discounts in Session.info: {"since": datetime, "rows": {variant id: rows}}.
_LOADED = "vm_variant_discounts"
#: Variant ids per IN (...) list, well under SQLite's limit on bound parameters.
_BATCH = 500


def _forget_loaded_discounts(session: Session, *_args) -> None:
    session.info.pop(_LOADED, None)


for _name in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(Session, _name, _forget_loaded_discounts)


@event.listens_for(Session, "do_orm_execute")
def _forget_after_write_statement(state) -> None:
    """A bulk UPDATE (a cap moving, stock returning) may change what was loaded."""
    if not state.is_select:
        _forget_loaded_discounts(state.session)


def _load_discounts(
    session: Session, variant_ids: list[int], now: datetime
) -> dict[int, list[_DiscountRow]]:
    """The discounts of these variants that are not cancelled and have not ended at `now`."""
    columns = [getattr(Discount, field.name) for field in fields(_DiscountRow)]
    found: dict[int, list[_DiscountRow]] = {variant_id: [] for variant_id in variant_ids}
    for start in range(0, len(variant_ids), _BATCH):
        rows = session.execute(
            select(discount_variant.c.variant_id, *columns)
            .join(Discount, Discount.id == discount_variant.c.discount_id)
            .where(
                discount_variant.c.variant_id.in_(variant_ids[start : start + _BATCH]),
                Discount.cancelled_at.is_(None),
                Discount.ends_at > now,
            )
        )
        for variant_id, *values in rows:
            row = _DiscountRow(*values)
            row = replace(row, starts_at=as_utc(row.starts_at), ends_at=as_utc(row.ends_at))
            found[variant_id].append(row)
    return found


def active_discount(
    variant_id: int, now: datetime | None = None, session: Session | None = None
) -> _DiscountRow | None:
    """The discount that prices this variant at `now` (default: now), or None.

    Scheduling refuses overlapping windows, so at most one applies.
    """
    now = now or utcnow()
    session = session or db.session
    loaded = session.info.get(_LOADED)
    if loaded is None or now < loaded["since"]:
        # Rows were loaded as "not ended at `since`": they cannot answer for an earlier moment.
        loaded = session.info[_LOADED] = {"since": now, "rows": {}}
    rows = loaded["rows"]
    if variant_id not in rows:
        # Identity keys, not objects: reading the id of an object expired by a commit would
        # cost a query each, the very N+1 this batch is here to avoid.
        wanted = {variant_id} | {
            identity[0]
            for model, identity, *_token in list(session.identity_map.keys())
            if issubclass(model, Variant) and identity[0] not in rows
        }
        rows.update(_load_discounts(session, sorted(wanted), loaded["since"]))
    for row in rows[variant_id]:
        if row.quantity_cap is not None:
            # Selling out under the cap ends the price without moving the catalogue version.
            freshness.note_sold(row.id, row.quantity_sold)
    return next((row for row in rows[variant_id] if row.applies_at(now)), None)


def current_discount(product: Product) -> ActiveDiscount | None:
    """The discount of the product's first discounted variant right now (for cards), or None."""
    for variant in product.variants:
        discount = purchase_info(variant).discount
        if discount is not None:
            return discount
    return None


def reserve_discount_units(discount_id: int, quantity: int, now: datetime) -> bool:
    """Count `quantity` units against a discount's cap in one conditional UPDATE.

    Returns False (and changes nothing) when, at `now`, the discount is cancelled, outside its
    window, or has fewer than `quantity` units left under its cap.
    """
    result = db.session.execute(
        update(Discount)
        .where(
            Discount.id == discount_id,
            Discount.cancelled_at.is_(None),
            Discount.starts_at <= now,
            Discount.ends_at > now,
            or_(
                Discount.quantity_cap.is_(None),
                Discount.quantity_sold + quantity <= Discount.quantity_cap,
            ),
        )
        .values(quantity_sold=Discount.quantity_sold + quantity)
        .execution_options(synchronize_session=False, stock_move=True)
    )
    return result.rowcount == 1


def release_discount_units(discount_id: int, quantity: int) -> None:
    """Give units of a cancelled or refunded order back to its discount's cap."""
    db.session.execute(
        update(Discount)
        .where(Discount.id == discount_id, Discount.quantity_sold >= quantity)
        .values(quantity_sold=Discount.quantity_sold - quantity)
        .execution_options(synchronize_session=False, stock_move=True)
    )


# --- What is public ------------------------------------------------------------------------
#
# The one rule, as SQL (for queries joined to Shop) and as Python (for a loaded product). Pages,
# the API, the search index, the sitemap and carts all ask these, so a shop awaiting approval,
# a suspended shop or a listing in the organizers' review queue leaves every public surface at
# once.


def shop_is_public_clause():
    """SQL condition on Shop: an exhibitor shop the organizers approved and have not suspended."""
    return and_(
        Shop.kind == ShopKind.EXHIBITOR,
        Shop.approved_at.is_not(None),
        Shop.suspended_at.is_(None),
    )


def public_clause():
    """SQL condition on Product joined to its Shop: anyone may see this product."""
    return and_(
        Product.status == ProductStatus.PUBLISHED,
        Product.review_reason.is_(None),
        shop_is_public_clause(),
    )


def shop_is_public(shop: Shop) -> bool:
    """True when anyone may see this shop and its public listings."""
    return (
        shop.kind == ShopKind.EXHIBITOR
        and shop.approved_at is not None
        and shop.suspended_at is None
    )


def public_products() -> Select:
    """Public products (see public_clause), with what a card shows loaded up front."""
    return (
        select(Product)
        .join(Product.shop)
        .where(public_clause())
        .options(
            # Cards, pages, the API and the search index all show where a product comes from
            # and who sells it: load those with the rows, never one query per product.
            contains_eager(Product.shop),
            joinedload(Product.region),
            joinedload(Product.category),
            selectinload(Product.variants),
            selectinload(Product.images),
        )
    )


def is_public(product: Product) -> bool:
    """True when anyone may see this product on the public site."""
    return (
        product.status == ProductStatus.PUBLISHED
        and product.review_reason is None
        and shop_is_public(product.shop)
    )


def publish(product: Product) -> None:
    """Make a listing visible to buyers (an organizer's earlier unpublishing note is cleared).

    :raises ValueError: when the product has no variant to buy.
    """
    if not product.variants:
        raise ValueError("a product needs at least one variant")
    product.review_reason = review_reason_for(product)
    product.status = ProductStatus.PUBLISHED
    product.moderation_note = ""
    db.session.flush()


def review_reason_for(product: Product) -> str | None:
    """Why publishing this listing must wait for an organizer, or None when it may go public.

    An exhibitor shop's first listing (it has no other public or approved one) and a listing
    priced far from its category's usual range wait in the organizers' review queue. Practice
    shops never wait: nothing of theirs is public.
    """
    if product.shop.kind != ShopKind.EXHIBITOR:
        return None
    if any(is_far_from_usual(product.category_id, v.price_fen) for v in product.variants):
        return ReviewReason.PRICE_OUTLIER
    others = db.session.scalar(
        select(func.count(Product.id)).where(
            Product.shop_id == product.shop_id,
            Product.id != product.id if product.id is not None else true(),
            Product.status == ProductStatus.PUBLISHED,
            Product.review_reason.is_(None),
        )
    )
    return None if others else ReviewReason.FIRST_LISTING


@event.listens_for(Session, "before_flush")
def _review_repriced_listings(session: Session, _context, _instances) -> None:
    """A public listing whose price is changed to one far from usual goes back to review.

    Whatever the path (the listing form, the stock and price table, a CSV import), a price is
    a Variant row written through the session, so this one place sees every change.
    """
    repriced = [
        variant
        for variant in (*session.new, *session.dirty)
        if isinstance(variant, Variant)
        and (variant in session.new or inspect(variant).attrs.price_fen.history.has_changes())
    ]
    for variant in repriced:
        product = variant.product
        if (
            product is None
            or product in session.new  # a new listing is judged when it is published
            or product.status != ProductStatus.PUBLISHED
            or product.review_reason is not None
            or product.shop is None
            or product.shop.kind != ShopKind.EXHIBITOR
            or variant.price_fen is None
        ):
            continue
        if is_far_from_usual(product.category_id, variant.price_fen):
            product.review_reason = ReviewReason.PRICE_OUTLIER


def unpublish(product: Product, reason: str) -> None:
    """Take a listing off the public site with the reason its seller will read.

    :raises ValueError: when no reason is given (the seller must learn what to fix).
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("an unpublishing reason is required")
    product.status = ProductStatus.DRAFT
    product.moderation_note = reason
    product.review_reason = None
    product.featured = False
    db.session.flush()


class BadParameter(ValueError):
    """A listing parameter that cannot be used; `name` is the parameter, `message` says why."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


@dataclass(frozen=True)
class ListingQuery:
    """What a visitor asked a listing for, validated (hashable, so it can key a cache)."""

    region: str | None = None
    category: str | None = None
    shop: str | None = None
    sort: str = "featured"
    page: int = 1
    per_page: int = PER_PAGE


def _positive_int(args: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return whole_number(raw, least=1, most=most)
    except NotAWholeNumber:
        raise BadParameter(name, f"must be a whole number from 1 to {most}") from None


def parse_listing(args: Mapping[str, str], filters: tuple[str, ...] = ()) -> ListingQuery:
    """Read sort, page, per_page and the named slug filters from request arguments.

    :raises BadParameter: for an unknown sort, a page or per_page that is not a number in range,
        or a filter that is not a slug.
    """
    sort = args.get("sort") or "featured"
    if sort not in SORTS:
        raise BadParameter("sort", "must be one of " + ", ".join(SORTS))
    values = {}
    for name in filters:
        slug = args.get(name) or None
        if slug is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", slug):
            raise BadParameter(name, "is not a known slug")
        values[name] = slug
    return ListingQuery(
        sort=sort,
        page=_positive_int(args, "page", 1, MAX_PAGE),
        per_page=_positive_int(args, "per_page", PER_PAGE, MAX_PER_PAGE),
        **values,
    )


@dataclass
class ProductPage:
    """One page of a listing."""

    items: list[Product]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the listing has (at least one, even when empty)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """True when a page comes before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """True when a page comes after this one."""
        return self.page < self.pages


def _ordered(statement: Select, sort: str) -> Select:
    if sort in ("price_asc", "price_desc"):
        lowest = (
            select(Variant.product_id, func.min(Variant.price_fen).label("price_fen"))
            .group_by(Variant.product_id)
            .subquery()
        )
        statement = statement.join(lowest, lowest.c.product_id == Product.id)
        price = lowest.c.price_fen.asc() if sort == "price_asc" else lowest.c.price_fen.desc()
        return statement.order_by(price, Product.id.desc())
    if sort == "newest":
        return statement.order_by(Product.created_at.desc(), Product.id.desc())
    return statement.order_by(
        Product.featured.desc(),
        Product.featured_position,
        Product.created_at.desc(),
        Product.id.desc(),
    )


def list_products(
    query: ListingQuery,
    *,
    region: Region | None = None,
    category: Category | None = None,
    shop: Shop | None = None,
) -> ProductPage:
    """One page of public products, optionally of one region, category and shop, in query.sort.

    Two queries plus one per eager collection, whatever the page size (no query per card).
    """
    conditions = []
    if region is not None:
        conditions.append(Product.region_id == region.id)
    if category is not None:
        conditions.append(Product.category_id == category.id)
    if shop is not None:
        conditions.append(Product.shop_id == shop.id)
    total = db.session.scalar(
        select(func.count(Product.id)).join(Product.shop).where(public_clause()).where(*conditions)
    )
    statement = _ordered(public_products().where(*conditions), query.sort)
    items = db.session.scalars(
        statement.limit(query.per_page).offset((query.page - 1) * query.per_page)
    ).all()
    return ProductPage(
        items=list(items), total=total or 0, page=query.page, per_page=query.per_page
    )


def regions() -> list[Region]:
    """Every region in display order (exhibition regions and partner countries)."""
    return list(db.session.scalars(select(Region).order_by(Region.position, Region.id)))


def categories() -> list[Category]:
    """Every category in display order."""
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def region_by_slug(slug: str) -> Region | None:
    """A region by its slug, or None."""
    return db.session.scalar(select(Region).where(Region.slug == slug))


def category_by_slug(slug: str) -> Category | None:
    """A category by its slug, or None."""
    return db.session.scalar(select(Category).where(Category.slug == slug))


def public_shop(slug: str) -> Shop | None:
    """A public shop by slug (never a practice, unapproved or suspended one), with its region."""
    return db.session.scalar(
        select(Shop)
        .where(Shop.slug == slug, shop_is_public_clause())
        .options(joinedload(Shop.region))
    )


def public_product(product_id: int) -> Product | None:
    """One public product with everything its page shows, in a constant number of queries."""
    return db.session.scalars(public_products().where(Product.id == product_id)).one_or_none()


def featured_by_region(region: Region | None = None) -> dict[int, list[Product]]:
    """Each region's (or one region's) featured public products in the organizer's order."""
    statement = public_products().where(Product.featured.is_(True))
    if region is not None:
        statement = statement.where(Product.region_id == region.id)
    featured = db.session.scalars(
        statement.order_by(Product.region_id, Product.featured_position, Product.id)
    ).all()
    by_region: dict[int, list[Product]] = {}
    for product in featured:
        by_region.setdefault(product.region_id, []).append(product)
    return by_region


def default_variant(product: Product, variant_id: int | None = None) -> Variant | None:
    """The variant a product page shows first: the asked-for one, else the first buyable one."""
    for variant in product.variants:
        if variant.id == variant_id:
            return variant
    buyable = [variant for variant in product.variants if purchase_info(variant).available]
    return (buyable or product.variants or [None])[0]


def masked_phone(phone: str) -> str:
    """A phone number as visitors see it: 13812345678 -> 138****5678 ('' when too short)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return ""
    return f"{digits[:3]}****{digits[-4:]}"


# --- Listing quality ------------------------------------------------------------

#: What a good listing has; the seller workspace shows the score and a tip for each miss.
QUALITY_MIN_PHOTOS = 3
QUALITY_PHOTO_WIDTH = 800
QUALITY_TITLE_LENGTH = (6, 60)
QUALITY_DESCRIPTION_LENGTH = 50
#: Endings dropped from a region's name to find the place in a title (砀山县 -> 砀山).
_PLACE_SUFFIXES = ("自治州", "自治县", "县", "市", "区", "州", " county", " city", " district")


@dataclass(frozen=True)
class ListingQuality:
    """A listing's score out of 100 and a concrete tip for each thing it lacks."""

    score: int
    tips: tuple[str, ...]


def _place_names(region: Region | None) -> list[str]:
    """Ways a title may name the region, lower-cased: '砀山县', '砀山', 'dangshan county', 'dangshan'."""
    if region is None:
        return []
    names = []
    for name in (region.name_zh, region.name_en):
        name = (name or "").strip().lower()
        if not name:
            continue
        names.append(name)
        for suffix in _PLACE_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                names.append(name[: -len(suffix)].strip())
    return names


def _names_product_and_origin(title: str, places: list[str]) -> bool:
    """True when the title names the place and, besides it, at least two characters of product."""
    lowered = title.lower()
    place = next((name for name in places if name and name in lowered), None)
    if place is None:
        return False
    rest = re.sub(r"[\W_]+", "", lowered.replace(place, ""))
    return len(rest) >= 2


def quality_score(product: Product) -> ListingQuality:
    """Score a listing on the seven things that make buyers trust it, with a tip for each miss."""
    # Imported here so `_` never shadows a throwaway `_` elsewhere in this module.
    from flask_babel import gettext as _

    shortest, longest = QUALITY_TITLE_LENGTH
    titles = [title.strip() for title in (product.title_zh, product.title_en) if title.strip()]
    places = _place_names(product.region)
    descriptions = [product.description_zh.strip(), product.description_en.strip()]
    region_name = product.region.localized("name") if product.region else ""
    # A photo still being processed counts (it is shown in a moment); one that failed does not.
    photos = [image for image in product.images if not image.failed]
    checks = [
        (
            len(photos) >= QUALITY_MIN_PHOTOS,
            _(
                "Add at least %(count)d photos: the product close up, in use, and where it is made.",
                count=QUALITY_MIN_PHOTOS,
            ),
        ),
        (
            any(image.width >= QUALITY_PHOTO_WIDTH for image in photos),
            _(
                "Add a photo at least %(width)d pixels wide, so buyers can see the detail.",
                width=QUALITY_PHOTO_WIDTH,
            ),
        ),
        (
            bool(titles)
            and all(shortest <= len(title) <= longest for title in titles)
            and any(_names_product_and_origin(title, places) for title in titles),
            _(
                "Write a title of %(shortest)d to %(longest)d characters that names the product "
                "and where it comes from (%(region)s).",
                shortest=shortest,
                longest=longest,
                region=region_name,
            ),
        ),
        (
            max(len(text) for text in descriptions) >= QUALITY_DESCRIPTION_LENGTH,
            _(
                "Describe the product in at least %(count)d characters: taste, size, how it is "
                "grown or made, how to keep it.",
                count=QUALITY_DESCRIPTION_LENGTH,
            ),
        ),
        (
            any(variant.stock > 0 for variant in product.variants),
            _("Enter how many you have in stock, so buyers can order."),
        ),
        (
            bool(product.variants) and all(variant.weight_g > 0 for variant in product.variants),
            _("Enter the weight of every variant, so shipping can be worked out."),
        ),
        (
            product.category_id is not None,
            _("Choose a category, so buyers browsing it find your product."),
        ),
    ]
    passed = sum(1 for ok, _tip in checks if ok)
    return ListingQuality(
        score=round(100 * passed / len(checks)),
        tips=tuple(tip for ok, tip in checks if not ok),
    )
