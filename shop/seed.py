"""Load the demo catalogue from seed_data/ (TOML files). Running it twice changes nothing."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from products.images import process_image, rendition_name, rendition_widths
from products.models import Category, Product, ProductImage, ProductStatus, Region, Shop, Variant
from products.storage import image_store
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import utcnow
from shop.money import parse_money
from shop.training.models import Cohort, CohortMember


@dataclass
class SeedReport:
    """What one seed run added, by kind."""

    added: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        """Note one added row of a kind."""
        self.added[kind] = self.added.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        """True when anything was added."""
        return bool(self.added)

    def summary(self) -> str:
        """'3 regions, 12 products' or a plain 'nothing to do'."""
        if not self.changed:
            return "Demo catalogue already seeded; nothing changed."
        return "Seeded: " + ", ".join(f"{n} {kind}" for kind, n in sorted(self.added.items()))


def _load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def seed(folder: str, max_image_bytes: int) -> SeedReport:
    """Add whatever part of the demo catalogue is missing. Flushes; the caller commits."""
    root = Path(folder)
    report = SeedReport()
    regions = _add_missing(Region, _load(root / "regions.toml")["region"], "regions", report)
    categories = _add_missing(
        Category, _load(root / "categories.toml")["category"], "categories", report
    )
    users = {user.email: user for user in db.session.scalars(select(User))}
    for row in _load(root / "accounts.toml")["account"]:
        if row["email"] not in users:
            user = User(
                email=row["email"], display_name=row["display_name"], language=row["language"]
            )
            user.set_password(row["password"])
            for role in row["roles"]:
                user.add_role(role)
            users[row["email"]] = user
            db.session.add(user)
            report.count("accounts")
    db.session.flush()
    for path in sorted((root / "shops").glob("*.toml")):
        _seed_shop(_load(path), root, regions, categories, users, report, max_image_bytes)
    _seed_cohorts(_load(root / "cohorts.toml")["cohort"], regions, users, report)
    db.session.flush()
    return report


def _add_missing(model, rows: list[dict], kind: str, report: SeedReport) -> dict:
    """Add the rows whose slug is not in the table yet; return every row by slug."""
    existing = {item.slug: item for item in db.session.scalars(select(model))}
    for row in rows:
        if row["slug"] not in existing:
            existing[row["slug"]] = model(**row)
            db.session.add(existing[row["slug"]])
            report.count(kind)
    return existing


def _seed_cohorts(rows: list[dict], regions: dict, users: dict, report: SeedReport) -> None:
    """Add the demo cohorts missing (by join code) and their members missing."""
    for row in rows:
        cohort = db.session.scalar(select(Cohort).where(Cohort.join_code == row["join_code"]))
        if cohort is None:
            cohort = Cohort(
                name=row["name"],
                region=regions[row["region"]],
                starts_on=row["starts_on"],
                ends_on=row["ends_on"],
                trainer_id=users[row["trainer"]].id,
                join_code=row["join_code"],
            )
            db.session.add(cohort)
            db.session.flush()
            report.count("cohorts")
        joined = {member.user_id for member in cohort.members}
        for email in row["members"]:
            if users[email].id not in joined:
                cohort.members.append(CohortMember(user_id=users[email].id))
                report.count("cohort members")


def _seed_shop(data, root, regions, categories, users, report, max_image_bytes) -> None:
    spec = data["shop"]
    shop = db.session.scalar(select(Shop).where(Shop.slug == spec["slug"]))
    if shop is None:
        shop = Shop(
            slug=spec["slug"],
            name_zh=spec["name_zh"],
            name_en=spec["name_en"],
            story_zh=spec["story_zh"],
            story_en=spec["story_en"],
            region=regions[spec["region"]],
            owner_id=users[spec["owner"]].id,
            kind="exhibitor",
            # The demo catalogue's shops are the programme's own: public from the start.
            approved_at=utcnow(),
        )
        db.session.add(shop)
        db.session.flush()
        report.count("shops")
    existing = {product.slug for product in shop.products}
    for row in data.get("product", []):
        if row["key"] in existing:
            _restore_picture_files(shop, row["key"], root, max_image_bytes, report)
            continue
        product = Product(
            shop=shop,
            region=shop.region,
            category=categories[row["category"]],
            slug=row["key"],
            title_zh=row["title_zh"],
            title_en=row["title_en"],
            description_zh=row["description_zh"],
            description_en=row["description_en"],
            tags=",".join(row.get("tags", [])),
            status=ProductStatus.PUBLISHED,
            featured=bool(row.get("featured")),
            featured_position=row.get("featured_position", 0),
        )
        for position, variant in enumerate(row["variant"]):
            product.variants.append(
                Variant(
                    sku=variant["sku"],
                    spec_zh=variant["spec_zh"],
                    spec_en=variant["spec_en"],
                    price_fen=parse_money(variant["price"]),
                    stock=variant["stock"],
                    weight_g=variant["weight_g"],
                    position=position,
                )
            )
        processed = _store_picture(root / "pictures" / f"{row['key']}.webp", max_image_bytes)
        product.images.append(
            ProductImage(
                key=processed.key, width=processed.width, height=processed.height, position=0
            )
        )
        db.session.add(product)
        report.count("products")


def _store_picture(path: Path, max_image_bytes: int):
    processed = process_image(path.read_bytes(), max_image_bytes)
    store = image_store()
    for name, data in processed.files.items():
        store.save(name, data)
    return processed


def _restore_picture_files(shop, key, root, max_image_bytes, report) -> None:
    """Re-create image files lost from the store (e.g. a wiped uploads folder)."""
    product = next(product for product in shop.products if product.slug == key)
    store = image_store()
    for image in product.images:
        names = [rendition_name(image.key, width) for width in rendition_widths(image.width)]
        if not all(store.exists(name) for name in names):
            _store_picture(root / "pictures" / f"{key}.webp", max_image_bytes)
            report.count("restored pictures")
