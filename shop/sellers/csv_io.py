"""CSV export and import of a shop's listings, one row per variant, matched by SKU.

Import is all or nothing: every row is checked first and every problem is reported with its line
number; nothing changes until the whole file is valid. Files from Excel in China (GB18030) load
as well as UTF-8 with or without a byte-order mark.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from products.models import Category, Product, Shop, Variant
from shop.extensions import db
from shop.money import InvalidMoney, MoneyTooLarge, fen_to_decimal_text, parse_money
from shop.parsing import NotAWholeNumber, id_or_none, whole_number
from shop.sellers import services
from shop.sellers.forms import MOST_UNITS, SKU_PATTERN
from shop.spreadsheets import cell_text, csv_cell

COLUMNS = (
    "product_id",
    "sku",
    "title_zh",
    "title_en",
    "category",
    "spec_zh",
    "spec_en",
    "price",
    "stock",
    "weight_g",
)
REQUIRED_COLUMNS = ("sku", "price", "stock")
#: Product fields a row may set; rows of one product must agree on them.
PRODUCT_FIELDS = ("title_zh", "title_en", "category")
MAX_ROWS = 5000
#: Longest text per column, as the database stores it.
TEXT_LIMITS = {"title_zh": 120, "title_en": 120, "spec_zh": 80, "spec_en": 80}


class UnreadableFile(ValueError):
    """The bytes are not text in an encoding we know; the message is for the seller."""


@dataclass
class Problem:
    """What is wrong with one line of the file."""

    line: int
    message: str


@dataclass
class NewListing:
    """A listing the file creates (rows without a product_id and with a new SKU)."""

    line: int
    fields: dict[str, str]
    variants: list[services.VariantDetails] = field(default_factory=list)


@dataclass
class ImportPlan:
    """Everything a file would change, or the problems that stop it."""

    problems: list[Problem] = field(default_factory=list)
    updates: list[tuple[Variant, dict]] = field(default_factory=list)
    new_variants: list[tuple[Product, services.VariantDetails]] = field(default_factory=list)
    new_listings: dict[tuple[str, str], NewListing] = field(default_factory=dict)
    #: product id -> (product, field changes, first line naming them)
    product_changes: dict[int, tuple[Product, dict, int]] = field(default_factory=dict)
    rows: int = 0

    @property
    def valid(self) -> bool:
        """True when the whole file can be imported."""
        return not self.problems


def export_csv(shop: Shop) -> bytes:
    """All the shop's variants as UTF-8 CSV with a byte-order mark (Excel then reads Chinese)."""
    products = db.session.scalars(
        select(Product)
        .where(Product.shop_id == shop.id)
        .order_by(Product.id)
        .options(selectinload(Product.variants), selectinload(Product.category))
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for product in products:
        for variant in product.variants:
            writer.writerow(
                [
                    csv_cell(value)
                    for value in (
                        product.id,
                        variant.sku or "",
                        product.title_zh,
                        product.title_en,
                        product.category.slug if product.category else "",
                        variant.spec_zh,
                        variant.spec_en,
                        fen_to_decimal_text(variant.price_fen),
                        variant.stock,
                        variant.weight_g,
                    )
                ]
            )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def decode_csv(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else GB18030.

    :raises UnreadableFile: when it is neither, or holds NUL bytes (no column can keep them;
        a spreadsheet's "Unicode text", UTF-16, is full of them).
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
        break
    raise UnreadableFile(
        _("This file is not text we can read. Save it from your spreadsheet as CSV (UTF-8).")
    )


def _price(text: str) -> tuple[int | None, str | None]:
    """A price cell as fen, or None and what is wrong with it."""
    try:
        fen = parse_money(text)
    except MoneyTooLarge:
        return None, _(
            "The price %(price)s is too large: a price is at most 99,999,999.99 yuan.", price=text
        )
    except InvalidMoney:
        fen = None
    if fen is None or fen <= 0:
        return None, _(
            "The price %(price)s is not an amount in yuan above 0, like 39.9.", price=text or "—"
        )
    return fen, None


def _whole_number(text: str) -> int | None:
    try:
        return whole_number(text, most=MOST_UNITS)
    except NotAWholeNumber:
        return None


class _Checker:
    """Reads rows one by one, recording problems and what each valid row would do."""

    def __init__(self, shop: Shop, plan: ImportPlan, skus: set[str]):
        self.shop = shop
        self.plan = plan
        self.seen_skus: dict[str, int] = {}
        self.categories = self._categories()
        # Everything the rows refer to, loaded in a few queries instead of a few per row.
        self.variants = self._variants(skus)
        self.own_products = {
            product.id: product
            for product in db.session.scalars(
                select(Product)
                .where(Product.shop_id == shop.id)
                .options(selectinload(Product.variants))
            )
        }

    @staticmethod
    def _variants(skus: set[str]) -> dict[str, Variant]:
        """Existing variants by SKU, with their products."""
        found: dict[str, Variant] = {}
        wanted = sorted(skus)
        for start in range(0, len(wanted), 500):
            for variant in db.session.scalars(
                select(Variant)
                .where(Variant.sku.in_(wanted[start : start + 500]))
                .options(selectinload(Variant.product))
            ):
                found[variant.sku] = variant
        return found

    @staticmethod
    def _categories() -> dict[str, int]:
        """Category ids by slug and by either name, lower-cased."""
        found = {}
        for category in db.session.scalars(select(Category)):
            for name in (category.slug, category.name_zh, category.name_en):
                if name:
                    found[name.strip().lower()] = category.id
        return found

    def problem(self, line: int, message: str) -> None:
        self.plan.problems.append(Problem(line, message))

    def check(self, line: int, row: dict[str, str]) -> None:
        """Check one row and plan its change; record every problem found in it."""
        before = len(self.plan.problems)
        sku = row.get("sku", "")
        if not sku:
            self.problem(line, _("The SKU is missing."))
        elif not SKU_PATTERN.match(sku):
            self.problem(
                line,
                _(
                    "The SKU %(sku)s has characters other than letters, digits, dots, dashes and underscores.",
                    sku=sku,
                ),
            )
        elif sku in self.seen_skus:
            self.problem(
                line,
                _("The SKU %(sku)s is also on line %(other)d.", sku=sku, other=self.seen_skus[sku]),
            )
        else:
            self.seen_skus[sku] = line
        price_fen, price_problem = _price(row.get("price", ""))
        if price_problem:
            self.problem(line, price_problem)
        stock = _whole_number(row.get("stock", ""))
        if stock is None:
            self.problem(line, _("The stock must be a whole number, 0 or more."))
        weight = None
        if row.get("weight_g"):
            weight = _whole_number(row["weight_g"])
            if weight is None:
                self.problem(line, _("The weight must be a whole number of grams, 0 or more."))
        for name, longest in TEXT_LIMITS.items():
            if len(row.get(name, "")) > longest:
                self.problem(
                    line,
                    _(
                        "The %(column)s is longer than %(count)d characters.",
                        column=name,
                        count=longest,
                    ),
                )
        category_id = None
        if row.get("category"):
            category_id = self.categories.get(row["category"].lower())
            if category_id is None:
                self.problem(line, _("There is no category called %(name)s.", name=row["category"]))
        if len(self.plan.problems) > before:
            return
        variant = self.variants.get(sku)
        fields = {
            "spec_zh": row.get("spec_zh", ""),
            "spec_en": row.get("spec_en", ""),
            "price_fen": price_fen,
            "stock": stock,
        }
        if weight is not None:
            fields["weight_g"] = weight
        product_fields = {name: row[name] for name in ("title_zh", "title_en") if row.get(name)}
        if category_id is not None:
            product_fields["category_id"] = category_id
        if variant is not None:
            self._plan_update(line, row, variant, fields, product_fields)
        elif row.get("product_id"):
            self._plan_new_variant(line, row, fields, product_fields)
        else:
            self._plan_new_listing(line, row, fields, product_fields)

    def _plan_update(self, line, row, variant, fields, product_fields) -> None:
        if variant.product.shop_id != self.shop.id:
            self.problem(
                line,
                _("The SKU %(sku)s is used by another shop. Choose another one.", sku=variant.sku),
            )
            return
        if row.get("product_id") and row["product_id"] != str(variant.product_id):
            self.problem(
                line,
                _(
                    "The SKU %(sku)s belongs to listing %(listing)d, not %(other)s.",
                    sku=variant.sku,
                    listing=variant.product_id,
                    other=row["product_id"],
                ),
            )
            return
        changes = {name: value for name, value in fields.items() if value not in ("", None)}
        self.plan.updates.append((variant, changes))
        self._plan_product_changes(line, variant.product, product_fields)

    def _plan_new_variant(self, line, row, fields, product_fields) -> None:
        product_id = row["product_id"]
        product = self.own_products.get(id_or_none(product_id))
        if product is None:
            self.problem(line, _("Your shop has no listing %(listing)s.", listing=product_id))
            return
        if not (fields["spec_zh"] or fields["spec_en"]):
            self.problem(line, _("A new variant needs a spec (spec_zh or spec_en)."))
            return
        self.plan.new_variants.append((product, self._variant_details(row, fields)))
        self._plan_product_changes(line, product, product_fields)

    def _plan_new_listing(self, line, row, fields, product_fields) -> None:
        if not (product_fields.get("title_zh") or product_fields.get("title_en")):
            self.problem(
                line,
                _(
                    "A new listing needs a title (title_zh or title_en), or give the product_id of an existing listing."
                ),
            )
            return
        if not (fields["spec_zh"] or fields["spec_en"]):
            self.problem(line, _("A new variant needs a spec (spec_zh or spec_en)."))
            return
        key = (product_fields.get("title_zh", ""), product_fields.get("title_en", ""))
        listing = self.plan.new_listings.get(key)
        if listing is None:
            listing = self.plan.new_listings[key] = NewListing(
                line=line, fields=dict(product_fields)
            )
        elif not self._agree(line, listing.fields, product_fields, listing.line):
            return
        listing.variants.append(self._variant_details(row, fields))

    def _plan_product_changes(self, line, product, product_fields) -> None:
        if not product_fields:
            return
        if product.id not in self.plan.product_changes:
            self.plan.product_changes[product.id] = (product, dict(product_fields), line)
            return
        _product, planned, first_line = self.plan.product_changes[product.id]
        self._agree(line, planned, product_fields, first_line)

    def _agree(self, line, planned: dict, wanted: dict, first_line: int) -> bool:
        """Rows of one listing must not give it two titles or categories."""
        for name, value in wanted.items():
            if name in planned and planned[name] != value:
                self.problem(
                    line,
                    _(
                        "This row gives the listing another %(field)s than line %(other)d.",
                        field=name.replace("_id", ""),
                        other=first_line,
                    ),
                )
                return False
            planned[name] = value
        return True

    @staticmethod
    def _variant_details(row, fields) -> services.VariantDetails:
        return services.VariantDetails(
            spec_zh=fields["spec_zh"],
            spec_en=fields["spec_en"],
            price_fen=fields["price_fen"],
            stock=fields["stock"],
            weight_g=fields.get("weight_g", 0),
            sku=row["sku"],
        )


def plan_import(shop: Shop, data: bytes) -> ImportPlan:
    """Check a CSV file row by row and plan its changes; nothing is written."""
    plan = ImportPlan()
    try:
        text = decode_csv(data)
    except UnreadableFile as error:
        plan.problems.append(Problem(1, str(error)))
        return plan
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in headers]
    if missing:
        plan.problems.append(
            Problem(
                1,
                _(
                    "The first line must name the columns; %(missing)s is missing. Start from an exported file.",
                    missing=", ".join(missing),
                ),
            )
        )
        return plan
    reader.fieldnames = headers
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            cells = {
                name: cell_text(value.strip())
                for name, value in row.items()
                if name in COLUMNS and isinstance(value, str)
            }
            if not any(cells.values()):
                continue
            if len(rows) == MAX_ROWS:
                plan.problems.append(
                    Problem(
                        reader.line_num,
                        _("A file can have at most %(count)d rows.", count=MAX_ROWS),
                    )
                )
                return plan
            rows.append((reader.line_num, cells))
    except csv.Error:
        plan.problems.append(
            Problem(reader.line_num, _("This line is not valid CSV (check the quotes)."))
        )
        return plan
    plan.rows = len(rows)
    checker = _Checker(shop, plan, {cells.get("sku", "") for _line, cells in rows})
    for line, cells in rows:
        checker.check(line, cells)
    return plan


def apply_import(shop: Shop, plan: ImportPlan) -> dict[str, int]:
    """Write a valid plan. Flushes; the view commits. Returns what changed, by kind."""
    if not plan.valid:
        raise ValueError("only a plan without problems can be applied")
    for variant, changes in plan.updates:
        for name, value in changes.items():
            setattr(variant, name, value)
    for product, changes, _line in plan.product_changes.values():
        services.set_titles(
            product,
            changes.get("title_zh", product.title_zh),
            changes.get("title_en", product.title_en),
        )
        if "category_id" in changes:
            product.category_id = changes["category_id"]
    for product, details in plan.new_variants:
        services.add_variant(product, details)
    for listing in plan.new_listings.values():
        first, *others = listing.variants
        product = services.create_listing(
            shop,
            services.ListingDetails(
                title_zh=listing.fields.get("title_zh", ""),
                title_en=listing.fields.get("title_en", ""),
                category_id=listing.fields.get("category_id"),
            ),
            first,
        )
        for details in others:
            services.add_variant(product, details)
    db.session.flush()
    return {
        "updated": len(plan.updates),
        "added": len(plan.new_variants),
        "created": len(plan.new_listings),
    }
