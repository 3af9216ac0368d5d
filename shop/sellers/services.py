"""The seller's rules: one shop each, listings and their variants, photos, stock and prices.

Functions add and flush but never commit; the view commits once. Every function takes objects
the view already loaded through `own_*` lookups, so ownership is checked before any rule runs.
"""

import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import selectinload

from products import services as catalogue
from products.images import (
    ProcessedImage,
    original_name,
    process_image,
    stored_names,
    verify_image,
)
from products.models import (
    Product,
    ProductImage,
    ProductStatus,
    Region,
    Shop,
    ShopKind,
    Variant,
)
from products.search import romanize
from products.storage import image_store
from shop import jobs, signals
from shop.accounts.models import Role, User
from shop.extensions import db
from shop.orders.services import variants_ever_ordered

#: Photos one listing may have; more than this slows its page and rarely helps a buyer.
MAX_PHOTOS = 12
#: Provinces a shop can choose not to ship to, stored by their Chinese short name.
PROVINCES = (
    ("北京", "Beijing"),
    ("天津", "Tianjin"),
    ("河北", "Hebei"),
    ("山西", "Shanxi"),
    ("内蒙古", "Inner Mongolia"),
    ("辽宁", "Liaoning"),
    ("吉林", "Jilin"),
    ("黑龙江", "Heilongjiang"),
    ("上海", "Shanghai"),
    ("江苏", "Jiangsu"),
    ("浙江", "Zhejiang"),
    ("安徽", "Anhui"),
    ("福建", "Fujian"),
    ("江西", "Jiangxi"),
    ("山东", "Shandong"),
    ("河南", "Henan"),
    ("湖北", "Hubei"),
    ("湖南", "Hunan"),
    ("广东", "Guangdong"),
    ("广西", "Guangxi"),
    ("海南", "Hainan"),
    ("重庆", "Chongqing"),
    ("四川", "Sichuan"),
    ("贵州", "Guizhou"),
    ("云南", "Yunnan"),
    ("西藏", "Xizang (Tibet)"),
    ("陕西", "Shaanxi"),
    ("甘肃", "Gansu"),
    ("青海", "Qinghai"),
    ("宁夏", "Ningxia"),
    ("新疆", "Xinjiang"),
    ("香港", "Hong Kong"),
    ("澳门", "Macao"),
    ("台湾", "Taiwan"),
)
PROVINCE_NAMES = tuple(zh for zh, _en in PROVINCES)
#: Stock filter choices of the listing page.
STOCK_FILTERS = ("in", "low", "out")


class SellerError(ValueError):
    """A seller rule was not met; the message is for the seller (already translated)."""


class ShopAlreadyOpen(SellerError):
    """A seller has one shop for now."""


class CannotPublish(SellerError):
    """The listing is not ready to be sold."""


class CannotDelete(SellerError):
    """The listing or variant was ordered, so it must be kept (archive it instead)."""


class SkuTaken(SellerError):
    """Another variant already uses this SKU (SKUs are unique across the market)."""


class TooManyPhotos(SellerError):
    """A listing has at most MAX_PHOTOS photos."""


class NotYours(LookupError):
    """An id that is not one of this seller's: the view answers 404, never saying whose it is."""


# --- Who sells ----------------------------------------------------------------------------


def is_seller(user: User) -> bool:
    """Exhibitors and trainees use the seller workspace."""
    return user.has_role(Role.EXHIBITOR, Role.TRAINEE)


def shop_kind_for(user: User) -> str:
    """An exhibitor's shop sells publicly; a trainee's is a practice shop."""
    return ShopKind.EXHIBITOR if user.has_role(Role.EXHIBITOR) else ShopKind.PRACTICE


def shop_of(user: User) -> Shop | None:
    """The user's shop (one per seller for now), or None before they open it."""
    return db.session.scalar(select(Shop).where(Shop.owner_id == user.id).order_by(Shop.id))


def selectable_regions() -> list[Region]:
    """Regions a shop can belong to: the exhibition's, not the partner countries still to come."""
    return [region for region in catalogue.regions() if not region.coming_soon]


# --- Shop ----------------------------------------------------------------------------------


@dataclass
class ShopDetails:
    """What the shop form says (money already in fen)."""

    name_zh: str
    name_en: str
    region_id: int
    story_zh: str = ""
    story_en: str = ""
    contact_phone: str = ""
    shipping_fee_fen: int = 0
    free_shipping_over_fen: int | None = None
    no_shipping_regions: tuple[str, ...] = ()
    #: Days from payment to dispatch the product pages promise (1 to 30).
    dispatch_days: int = 2


def slugify(text: str, fallback: str) -> str:
    """URL words from any text: pinyin for Chinese, ASCII letters and digits joined by hyphens."""
    words = unicodedata.normalize("NFKD", romanize(text or "")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
    return slug[:60].rstrip("-") or fallback


def unique_shop_slug(name_zh: str, name_en: str) -> str:
    """A slug no other shop has: the name's, then -2, -3... when taken."""
    base = slugify(name_zh or name_en, "shop")
    taken = set(
        db.session.scalars(
            select(Shop.slug).where((Shop.slug == base) | Shop.slug.like(f"{base}-%"))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _apply_shop_details(shop: Shop, details: ShopDetails) -> None:
    shop.name_zh = details.name_zh.strip()
    shop.name_en = details.name_en.strip()
    shop.region_id = details.region_id
    shop.story_zh = details.story_zh.strip()
    shop.story_en = details.story_en.strip()
    shop.contact_phone = details.contact_phone.strip()
    shop.shipping_fee_fen = details.shipping_fee_fen
    shop.free_shipping_over_fen = details.free_shipping_over_fen
    shop.dispatch_days = details.dispatch_days
    shop.no_shipping_regions = ",".join(
        name for name in PROVINCE_NAMES if name in set(details.no_shipping_regions)
    )


def open_shop(owner: User, details: ShopDetails, logo_key: str | None = None) -> Shop:
    """Open the seller's shop: an exhibitor shop for exhibitors, a practice shop for trainees.

    :raises ShopAlreadyOpen: when the seller already has a shop.
    """
    if shop_of(owner) is not None:
        raise ShopAlreadyOpen(_("You already have a shop."))
    kind = shop_kind_for(owner)
    shop = Shop(
        owner_id=owner.id,
        slug=unique_shop_slug(details.name_zh, details.name_en),
        kind=kind,
        logo_key=logo_key,
        # The private preview link exists from the start, so no later page view writes it.
        preview_token=secrets.token_urlsafe(24) if kind == ShopKind.PRACTICE else None,
    )
    _apply_shop_details(shop, details)
    db.session.add(shop)
    db.session.flush()
    signals.shop_profile_saved.send(shop)
    return shop


def update_shop(shop: Shop, details: ShopDetails, logo_key: str | None = None) -> None:
    """Change the shop's profile; the slug stays, so links already shared keep working.

    A shop that moves region takes its products along (they are listed by region).
    """
    if details.region_id != shop.region_id:
        db.session.execute(
            update(Product).where(Product.shop_id == shop.id).values(region_id=details.region_id)
        )
    _apply_shop_details(shop, details)
    if logo_key:
        shop.logo_key = logo_key
    db.session.flush()
    signals.shop_profile_saved.send(shop)


def no_shipping_list(shop: Shop) -> list[str]:
    """The provinces the shop does not ship to, as a list."""
    return [name for name in shop.no_shipping_regions.split(",") if name]


# --- Listings ------------------------------------------------------------------------------


@dataclass
class ListingDetails:
    """What the listing form says about the product itself."""

    title_zh: str
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    category_id: int | None = None
    tags: str = ""


@dataclass
class VariantDetails:
    """One spec of a listing, money in fen."""

    spec_zh: str
    spec_en: str
    price_fen: int
    stock: int = 0
    weight_g: int = 0
    sku: str | None = None


def clean_tags(text: str) -> str:
    """'地理标志， gift,,礼盒' -> '地理标志,gift,礼盒' (Chinese commas too, blanks and repeats dropped)."""
    seen: list[str] = []
    for tag in re.split(r"[,，、;；]", text or ""):
        tag = tag.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return ",".join(seen)[:500]


def own_products(shop: Shop):
    """Query of this shop's products with what the listing page shows loaded up front."""
    return (
        select(Product)
        .where(Product.shop_id == shop.id)
        .options(
            selectinload(Product.variants),
            selectinload(Product.images),
            selectinload(Product.category),
            selectinload(Product.region),
        )
    )


def own_product(shop: Shop, product_id: int) -> Product:
    """One of the shop's products.

    :raises NotYours: for any id that is not this shop's (another shop's, or none at all).
    """
    product = db.session.scalars(own_products(shop).where(Product.id == product_id)).one_or_none()
    if product is None:
        raise NotYours(product_id)
    return product


def own_variant(product: Product, variant_id: int) -> Variant:
    """A variant of this product. :raises NotYours: otherwise."""
    for variant in product.variants:
        if variant.id == variant_id:
            return variant
    raise NotYours(variant_id)


def own_image(product: Product, image_id: int) -> ProductImage:
    """A photo of this product. :raises NotYours: otherwise."""
    for image in product.images:
        if image.id == image_id:
            return image
    raise NotYours(image_id)


def seller_products(shop: Shop, status: str | None = None, stock: str | None = None):
    """The shop's listings, newest first, filtered by status and stock level."""
    query = own_products(shop).order_by(Product.created_at.desc(), Product.id.desc())
    if status in ProductStatus.ALL:
        query = query.where(Product.status == status)
    has_stock = exists().where(Variant.product_id == Product.id, Variant.stock > 0)
    if stock == "in":
        query = query.where(has_stock)
    elif stock == "out":
        query = query.where(~has_stock)
    elif stock == "low":
        query = query.where(
            exists().where(
                Variant.product_id == Product.id,
                Variant.stock > 0,
                Variant.stock <= catalogue.LOW_STOCK,
            )
        )
    return list(db.session.scalars(query))


def product_slug(title_zh: str, title_en: str) -> str:
    """URL words of a product page (after its id, so they need not be unique)."""
    return slugify(title_en or title_zh, "product")[:120]


def set_titles(product: Product, title_zh: str, title_en: str) -> None:
    """Change the titles; the URL words follow only when a title really changed."""
    title_zh, title_en = title_zh.strip(), title_en.strip()
    if (title_zh, title_en) != (product.title_zh, product.title_en) or not product.slug:
        product.title_zh, product.title_en = title_zh, title_en
        # Old links keep working: the product page redirects to the current words.
        product.slug = product_slug(title_zh, title_en)


def _apply_listing_details(product: Product, details: ListingDetails) -> None:
    set_titles(product, details.title_zh, details.title_en)
    product.description_zh = details.description_zh.strip()
    product.description_en = details.description_en.strip()
    product.category_id = details.category_id
    product.tags = clean_tags(details.tags)


def check_sku_free(sku: str | None, variant: Variant | None = None) -> None:
    """:raises SkuTaken: when another variant already uses the SKU."""
    if not sku:
        return
    other = db.session.scalar(select(Variant.id).where(Variant.sku == sku))
    if other is not None and (variant is None or other != variant.id):
        raise SkuTaken(_("The SKU %(sku)s is already used. Choose another one.", sku=sku))


def _apply_variant_details(variant: Variant, details: VariantDetails) -> None:
    variant.spec_zh = details.spec_zh.strip()
    variant.spec_en = details.spec_en.strip()
    variant.price_fen = details.price_fen
    variant.stock = details.stock
    variant.weight_g = details.weight_g
    variant.sku = (details.sku or "").strip() or None


def create_listing(shop: Shop, details: ListingDetails, first_variant: VariantDetails) -> Product:
    """A new draft listing with its first variant. :raises SkuTaken: for a used SKU."""
    check_sku_free(first_variant.sku)
    product = Product(shop=shop, region_id=shop.region_id, status=ProductStatus.DRAFT)
    _apply_listing_details(product, details)
    variant = Variant(position=0)
    _apply_variant_details(variant, first_variant)
    product.variants.append(variant)
    db.session.add(product)
    db.session.flush()
    signals.listing_changed.send(shop, product=product)
    return product


def update_listing(product: Product, details: ListingDetails) -> None:
    """Change a listing's title, description, category and tags."""
    _apply_listing_details(product, details)
    db.session.flush()
    signals.listing_changed.send(product.shop, product=product)


def duplicate_listing(product: Product) -> Product:
    """A draft copy of a listing, with its variants (without SKUs, which are unique) and photos."""
    copy = Product(
        shop_id=product.shop_id,
        region_id=product.region_id,
        category_id=product.category_id,
        slug=product.slug,
        # Titles are data in the listing's own languages, so the marks are too.
        title_zh=(product.title_zh + "（副本）")[:120] if product.title_zh else "",
        title_en=(product.title_en + " (copy)")[:120] if product.title_en else "",
        description_zh=product.description_zh,
        description_en=product.description_en,
        tags=product.tags,
        status=ProductStatus.DRAFT,
    )
    for variant in product.variants:
        copy.variants.append(
            Variant(
                spec_zh=variant.spec_zh,
                spec_en=variant.spec_en,
                price_fen=variant.price_fen,
                stock=variant.stock,
                weight_g=variant.weight_g,
                position=variant.position,
            )
        )
    for image in product.images:
        # Files are named by content, so the copy shares them instead of storing them twice.
        copy.images.append(
            ProductImage(
                key=image.key,
                width=image.width,
                height=image.height,
                position=image.position,
                ready=image.ready,
                failed=image.failed,
            )
        )
    db.session.add(copy)
    db.session.flush()
    for image in copy.images:
        if image.state == "processing":
            # The original's own job sets only its own row: the copy needs one too.
            jobs.enqueue(RENDITIONS_JOB, image.id)
    return copy


def publish_listing(product: Product) -> None:
    """Put a listing on sale (for a practice shop: on sale in practice, never public).

    Clears an organizer's unpublishing note: the seller has acted on it.
    :raises CannotPublish: when the listing has no title or no variant.
    """
    if not (product.title_zh or product.title_en):
        raise CannotPublish(_("Give the listing a title before publishing it."))
    if not product.variants:
        raise CannotPublish(_("Add at least one variant with a price before publishing."))
    catalogue.publish(product)
    product.moderation_note = ""
    db.session.flush()
    signals.listing_published.send(product.shop, product=product)


def unpublish_listing(product: Product) -> None:
    """Take a listing off sale and back to draft (the seller's own choice, so no note)."""
    product.status = ProductStatus.DRAFT
    db.session.flush()


def archive_listing(product: Product) -> None:
    """Keep a listing (and its order history) but never show or sell it."""
    product.status = ProductStatus.ARCHIVED
    product.featured = False
    db.session.flush()


def was_ever_ordered(variant_ids: Iterable[int]) -> bool:
    """True when any of these variants appears in an order line (it is then kept, not deleted)."""
    ids = [variant_id for variant_id in variant_ids if variant_id is not None]
    return bool(ids) and variants_ever_ordered(ids)


def can_delete(product: Product) -> bool:
    """A listing can be deleted only when it was never ordered; otherwise it is archived."""
    return not was_ever_ordered(variant.id for variant in product.variants)


def delete_listing(product: Product) -> list[tuple[str, int]]:
    """Delete a never-ordered listing; returns its photos' (key, width) to clean up after commit.

    :raises CannotDelete: when it was ever ordered (archive it instead).
    """
    if not can_delete(product):
        raise CannotDelete(
            _("This listing has been ordered, so it is kept for the order history. Archive it.")
        )
    photos = [(image.key, image.width) for image in product.images]
    db.session.delete(product)
    db.session.flush()
    return photos


# --- Variants ------------------------------------------------------------------------------


def add_variant(product: Product, details: VariantDetails) -> Variant:
    """Another spec of the listing, last in order. :raises SkuTaken: for a used SKU."""
    check_sku_free(details.sku)
    variant = Variant(position=max((v.position for v in product.variants), default=-1) + 1)
    _apply_variant_details(variant, details)
    product.variants.append(variant)
    db.session.flush()
    signals.variant_added.send(product.shop, product=product, variant=variant)
    signals.listing_changed.send(product.shop, product=product)
    return variant


def update_variant(variant: Variant, details: VariantDetails) -> None:
    """Change a spec's label, price, stock, weight or SKU. :raises SkuTaken: for a used SKU."""
    check_sku_free(details.sku, variant)
    _apply_variant_details(variant, details)
    db.session.flush()
    signals.listing_changed.send(variant.product.shop, product=variant.product)


def remove_variant(product: Product, variant: Variant) -> None:
    """Remove a spec that was never ordered.

    :raises CannotDelete: when it was ordered, or it is the last spec of a published listing.
    """
    if was_ever_ordered([variant.id]):
        raise CannotDelete(_("This variant has been ordered, so it is kept. Set its stock to 0."))
    if len(product.variants) == 1 and product.status == ProductStatus.PUBLISHED:
        raise CannotDelete(_("A published listing needs at least one variant. Unpublish it first."))
    product.variants.remove(variant)
    db.session.flush()


def update_stock_and_prices(shop: Shop, changes: dict[int, tuple[int, int]]) -> int:
    """Set {variant id: (price in fen, stock)} for the shop's variants; returns how many changed.

    :raises NotYours: when any id is not a variant of this shop (nothing is changed then).
    """
    if not changes:
        return 0
    variants = db.session.scalars(
        select(Variant).join(Product).where(Variant.id.in_(changes), Product.shop_id == shop.id)
    ).all()
    if len(variants) != len(changes):
        raise NotYours(sorted(set(changes) - {variant.id for variant in variants}))
    changed = 0
    for variant in variants:
        price_fen, stock = changes[variant.id]
        if (variant.price_fen, variant.stock) != (price_fen, stock):
            variant.price_fen, variant.stock = price_fen, stock
            changed += 1
    db.session.flush()
    return changed


# --- Photos --------------------------------------------------------------------------------


#: The job that makes a photo's renditions from its stored original (shop.jobs runs it).
RENDITIONS_JOB = "shop.sellers.photo_jobs.make_renditions"


def original_of(key: str) -> str:
    """The private name of the original kept for a photo until its renditions exist."""
    return original_name(key, current_app.config["SECRET_KEY"])


def store_original(data: bytes, max_bytes: int) -> ProcessedImage:
    """Verify uploaded bytes and keep them, unchanged and private, for the renditions job.

    The quick part of an upload, done in the request so a bad file is refused at once; the
    returned photo has its key and the size its largest rendition will have, and no files.
    :raises products.images.ImageRejected: when the bytes are not an acceptable photo.
    """
    verified = verify_image(data, max_bytes)
    image_store().save(original_of(verified.key), data)
    return verified


def store_photo(data: bytes, max_bytes: int) -> ProcessedImage:
    """Verify and process uploaded bytes, and store the renditions under their content key.

    Files are stored before the database row is committed; if the request then fails they are
    unreferenced but harmless (their names are content hashes).
    :raises products.images.ImageRejected: when the bytes are not an acceptable photo.
    """
    processed = process_image(data, max_bytes)
    store = image_store()
    for name, body in processed.files.items():
        store.save(name, body)
    return processed


def add_photos(product: Product, photos: list[ProcessedImage]) -> list[ProductImage]:
    """Append stored originals to a listing as processing photos, each with its renditions job
    (the first photo of a listing becomes its cover). The jobs start after the commit.

    :raises TooManyPhotos: when the listing would have more than MAX_PHOTOS.
    """
    if len(product.images) + len(photos) > MAX_PHOTOS:
        raise TooManyPhotos(
            _("A listing can have at most %(count)d photos. Remove one first.", count=MAX_PHOTOS)
        )
    added = []
    for photo in photos:
        image = ProductImage(
            key=photo.key,
            width=photo.width,
            height=photo.height,
            position=len(product.images),
            ready=False,
        )
        product.images.append(image)
        added.append(image)
    db.session.flush()
    for image in added:
        jobs.enqueue(RENDITIONS_JOB, image.id)
    signals.listing_changed.send(product.shop, product=product)
    return added


def _renumber(product: Product, ordered: list[ProductImage]) -> None:
    for position, image in enumerate(ordered):
        image.position = position
    # Keep the loaded collection in the new order for the rest of the request.
    product.images.sort(key=lambda image: image.position)
    db.session.flush()


def move_photo(product: Product, image: ProductImage, offset: int) -> None:
    """Move a photo earlier (-1) or later (+1) among the listing's photos."""
    ordered = sorted(product.images, key=lambda each: each.position)
    index = ordered.index(image)
    target = max(0, min(len(ordered) - 1, index + offset))
    ordered.insert(target, ordered.pop(index))
    _renumber(product, ordered)


def order_photos(product: Product, ordered: list[ProductImage]) -> None:
    """Put the listing's photos in this order (the first is the cover); any left out go last."""
    rest = sorted(product.images, key=lambda each: each.position)
    _renumber(product, ordered + [image for image in rest if image not in ordered])


def make_cover(product: Product, image: ProductImage) -> None:
    """Make a photo the listing's cover (position 0), keeping the others' order."""
    ordered = sorted(product.images, key=lambda each: each.position)
    ordered.remove(image)
    _renumber(product, [image, *ordered])


def remove_photo(product: Product, image: ProductImage) -> tuple[str, int]:
    """Remove a photo from a listing; returns (key, width) to clean up after the commit."""
    ordered = sorted(product.images, key=lambda each: each.position)
    ordered.remove(image)
    product.images.remove(image)  # delete-orphan: the row goes with it
    _renumber(product, ordered)
    return image.key, image.width


def delete_unused_photo_files(photos: Iterable[tuple[str, int]]) -> int:
    """After a commit: delete the stored files of photos no listing or shop uses any more.

    The same photo can back several listings (duplicates, re-uploads), so files are removed
    only once nothing refers to them. Returns how many photos' files were deleted.
    """
    store = image_store()
    deleted = 0
    for key, width in set(photos):
        still_used = db.session.scalar(
            select(exists().where(ProductImage.key == key) | exists().where(Shop.logo_key == key))
        )
        if still_used:
            continue
        for name in [*stored_names(key, width), original_of(key)]:
            store.delete(name)
        deleted += 1
    return deleted


def count_by_status(shop: Shop) -> dict[str, int]:
    """How many of the shop's listings are in each status (for the filter links)."""
    rows = db.session.execute(
        select(Product.status, func.count())
        .where(Product.shop_id == shop.id)
        .group_by(Product.status)
    )
    counts = {status: 0 for status in ProductStatus.ALL}
    counts.update({status: number for status, number in rows})
    return counts
