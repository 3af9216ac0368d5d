"""Catalogue models: Region, Category, Shop, Product, Variant, ProductImage, Discount."""

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    false,
    true,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.extensions import db
from shop.models_base import FEN, Bilingual, Timestamped


class Region(Bilingual, Timestamped, db.Model):
    """A place whose products the market shows: a county of the programme or a partner country."""

    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    province_zh: Mapped[str] = mapped_column(String(100), default="")
    province_en: Mapped[str] = mapped_column(String(100), default="")
    story_zh: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    #: Display order on the home page, smallest first.
    position: Mapped[int] = mapped_column(default=0)
    #: Partner countries of later programme stops: shown, but with no products yet.
    coming_soon: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Region {self.slug}>"


class Category(Bilingual, Timestamped, db.Model):
    """A kind of product (fresh fruit, grains, crafts...) across regions."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Category {self.slug}>"


class ShopKind:
    """Exhibitor shops sell publicly; practice shops belong to trainees and never show publicly."""

    EXHIBITOR = "exhibitor"
    PRACTICE = "practice"
    ALL = (EXHIBITOR, PRACTICE)


class Shop(Bilingual, Timestamped, db.Model):
    """A seller's shop: an exhibitor's real one or a trainee's practice one."""

    __tablename__ = "shop"
    __table_args__ = (
        CheckConstraint("kind IN ('exhibitor', 'practice')", name="kind"),
        CheckConstraint("shipping_fee_fen >= 0", name="shipping_fee_not_negative"),
        CheckConstraint("dispatch_days BETWEEN 1 AND 30", name="dispatch_days_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    story_zh: Mapped[str] = mapped_column(Text, default="")
    story_en: Mapped[str] = mapped_column(Text, default="")
    #: Content-addressed key of the logo in the image store, if one was uploaded.
    logo_key: Mapped[str | None] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), default=ShopKind.EXHIBITOR)
    #: Shown to visitors masked (138****5678); buyers of an order see it whole.
    contact_phone: Mapped[str] = mapped_column(String(30), default="")
    #: Flat shipping fee per order, in fen.
    shipping_fee_fen: Mapped[int] = mapped_column(FEN, default=0)
    #: Orders at or above this many fen ship free; None means never free.
    free_shipping_over_fen: Mapped[int | None] = mapped_column(FEN)
    #: Comma-separated province names (Chinese) this shop does not ship to.
    no_shipping_regions: Mapped[str] = mapped_column(Text, default="")
    #: Within how many days of payment the shop sends a parcel (the buyer's expected dispatch).
    dispatch_days: Mapped[int] = mapped_column(default=2, server_default="2")
    #: A practice shop's private preview link (/practice/<token>): unguessable, never listed.
    preview_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When an organizer approved this exhibitor shop (or its trainee graduated through their
    #: trainer); None: awaiting the organizers' approval, nothing of it is public.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When an organizer suspended the shop (nothing of it is public meanwhile); None: not.
    suspended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Why the shop is suspended: shown to its seller on the workspace.
    suspension_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    region: Mapped["Region"] = relationship()
    products: Mapped[list["Product"]] = relationship(back_populates="shop")

    @property
    def is_practice(self) -> bool:
        """True for a trainee's practice shop."""
        return self.kind == ShopKind.PRACTICE

    @property
    def is_suspended(self) -> bool:
        """True while an organizer has suspended the shop."""
        return self.suspended_at is not None

    @property
    def awaits_approval(self) -> bool:
        """True for an exhibitor shop the organizers have not approved yet."""
        return self.kind == ShopKind.EXHIBITOR and self.approved_at is None

    def __repr__(self) -> str:
        return f"<Shop {self.slug}>"


class ProductStatus:
    """Where a listing is in its life."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"
    ALL = (DRAFT, PUBLISHED, ARCHIVED)


class ReviewReason:
    """Why a published listing waits for an organizer's approval before it is public."""

    FIRST_LISTING = "first_listing"
    PRICE_OUTLIER = "price_outlier"
    ALL = (FIRST_LISTING, PRICE_OUTLIER)


class Product(Bilingual, Timestamped, db.Model):
    """A listing: one thing a shop sells, in one or more variants."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published', 'archived')", name="status"),
        CheckConstraint(
            "review_reason IS NULL OR review_reason IN ('first_listing', 'price_outlier')",
            name="review_reason",
        ),
        Index("ix_product_region_status", "region_id", "status"),
        # Read by the PostgreSQL search backend only; on SQLite a plain index of empty values.
        Index("ix_product_search_document", "search_document", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    #: URL words after the id; a request with other words is redirected to these.
    slug: Mapped[str] = mapped_column(String(120))
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    #: Comma-separated search words the seller adds (e.g. "地理标志,gift").
    tags: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.DRAFT)
    #: Chosen by an organizer for the region's section of the exhibition page.
    featured: Mapped[bool] = mapped_column(default=False)
    #: Order among the region's featured products, smallest first.
    featured_position: Mapped[int] = mapped_column(default=0)
    #: Why an organizer unpublished this listing; shown to the seller, cleared on republishing.
    moderation_note: Mapped[str] = mapped_column(Text, default="")
    #: Why a published listing waits for an organizer before it is public: its shop's first
    #: listing ('first_listing') or a price far from its category's usual range
    #: ('price_outlier'). None: nothing to wait for.
    review_reason: Mapped[str | None] = mapped_column(String(20))
    #: The words the PostgreSQL search backend matches, weighted by where they appear (a
    #: tsvector written by products.search.postgresql_backend); unused on SQLite.
    search_document: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), deferred=True
    )

    shop: Mapped["Shop"] = relationship(back_populates="products")
    region: Mapped["Region"] = relationship()
    category: Mapped["Category | None"] = relationship()
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.position", cascade="all, delete-orphan"
    )
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    @property
    def ready_images(self) -> list["ProductImage"]:
        """The photos whose renditions exist, cover first: all any public page or answer shows.

        Filters the loaded collection, so the loaders that fetch `images` serve it too.
        """
        return [image for image in self.images if image.ready]

    @property
    def tag_list(self) -> list[str]:
        """The seller's tags as a list, blanks dropped."""
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.slug}>"


class Variant(Bilingual, Timestamped, db.Model):
    """One buyable spec of a product (\"5 jin box\") with its own price, stock and weight."""

    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("weight_g >= 0", name="weight_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    #: The seller's stock-keeping code, unique across the market (CSV import matches on it).
    sku: Mapped[str | None] = mapped_column(String(64), unique=True)
    spec_zh: Mapped[str] = mapped_column(String(80))
    spec_en: Mapped[str] = mapped_column(String(80), default="")
    price_fen: Mapped[int] = mapped_column(FEN)
    stock: Mapped[int] = mapped_column(default=0)
    weight_g: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped["Product"] = relationship(back_populates="variants")

    def __repr__(self) -> str:
        return f"<Variant {self.id} {self.sku or self.spec_zh}>"


class ProductImage(Timestamped, db.Model):
    """A product photo, stored once under its content hash in several WebP widths.

    An upload is verified and kept as an original in the request; a job makes the renditions
    (shop.sellers.photo_jobs). Until then it is processing: neither ready nor failed.
    """

    __tablename__ = "product_image"
    __table_args__ = (CheckConstraint("NOT (ready AND failed)", name="ready_or_failed"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    #: Content hash naming the stored renditions (see products.images).
    key: Mapped[str] = mapped_column(String(80))
    #: Size of the largest rendition, for width/height attributes and srcset; worked out from
    #: the verified original in the request, then set from the renditions by the job.
    width: Mapped[int]
    height: Mapped[int]
    #: 0 is the cover.
    position: Mapped[int] = mapped_column(default=0)
    #: The WebP renditions exist: only ready photos are shown or linked anywhere public.
    ready: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: The job could not make renditions (a damaged original): the seller uploads it again.
    failed: Mapped[bool] = mapped_column(default=False, server_default=false())

    product: Mapped["Product"] = relationship(back_populates="images")

    @property
    def state(self) -> str:
        """'ready', 'failed' or 'processing', as the seller's photo editor shows it."""
        return "ready" if self.ready else "failed" if self.failed else "processing"

    def __repr__(self) -> str:
        return f"<ProductImage {self.product_id}#{self.position} {self.key}>"


class CatalogueVersion(db.Model):
    """One row whose number goes up in the same transaction as any change to the catalogue.

    Cached pages are keyed by it: every worker reads this one cheap row per page view and
    re-renders when it moved, so a change shows at once everywhere and views never write.
    """

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CatalogueVersion {self.version}>"


#: Which variants a discount applies to.
discount_variant = Table(
    "discount_variant",
    db.metadata,
    Column("discount_id", ForeignKey("discount.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "variant_id", ForeignKey("variant.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class DiscountKind:
    """How a discount lowers the price: by a percentage, or to a fixed price."""

    PERCENT = "percent"
    FIXED_PRICE = "fixed_price"
    ALL = (PERCENT, FIXED_PRICE)


class Discount(Timestamped, db.Model):
    """A limited-time price on chosen variants of one shop (a live-sale campaign)."""

    __tablename__ = "discount"
    __table_args__ = (
        CheckConstraint("kind IN ('percent', 'fixed_price')", name="kind"),
        CheckConstraint("ends_at > starts_at", name="window"),
        CheckConstraint(
            "(kind = 'percent' AND percent_off BETWEEN 1 AND 99 AND fixed_price_fen IS NULL)"
            " OR (kind = 'fixed_price' AND fixed_price_fen > 0 AND percent_off IS NULL)",
            name="amount",
        ),
        CheckConstraint("quantity_sold >= 0", name="sold_not_negative"),
        CheckConstraint(
            "quantity_cap IS NULL OR (quantity_cap > 0 AND quantity_sold <= quantity_cap)",
            name="within_cap",
        ),
        Index("ix_discount_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shop.id", ondelete="CASCADE"), index=True)
    #: What buyers read next to the price (e.g. "直播秒杀"); may be empty.
    name_zh: Mapped[str] = mapped_column(String(60), default="")
    name_en: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(20))
    #: For kind percent: 20 means 20% off.
    percent_off: Mapped[int | None]
    #: For kind fixed_price: what each chosen variant costs inside the window (never more).
    fixed_price_fen: Mapped[int | None] = mapped_column(FEN)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Units that may be sold at the discount price in all; None means no cap.
    quantity_cap: Mapped[int | None]
    #: Units sold at the discount price so far (moved with one conditional UPDATE).
    quantity_sold: Mapped[int] = mapped_column(default=0)
    #: Set when the seller ended the discount early; it no longer applies from then.
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    shop: Mapped["Shop"] = relationship()
    variants: Mapped[list["Variant"]] = relationship(secondary=discount_variant)

    def __repr__(self) -> str:
        return f"<Discount {self.id} {self.kind} {self.starts_at:%Y-%m-%d %H:%M}>"
