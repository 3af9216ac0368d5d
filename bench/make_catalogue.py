"""A synthetic catalogue for benchmarks: thousands of published products over the six regions.

    INSTANCE_PATH=/tmp/vm-bench .venv/bin/python bench/make_catalogue.py --products 10000

Adds products to the seeded exhibitor shops (run `flask seed` first), each with one to three
variants, a picture (one of the seeded pictures, so image URLs resolve) and bilingual text; some
are featured. `--practice N` adds N products of a trainee's practice shop too, which must never
show publicly. Rows go in with bulk INSERTs, so 10,000 products take seconds. Reusable from
Python: make_catalogue(count) inside an app context.
"""

import argparse
import os
import random
import sys
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select, text  # noqa: E402

from products.models import (  # noqa: E402
    Category,
    Product,
    ProductImage,
    Region,
    Shop,
    ShopKind,
    Variant,
)
from shop.extensions import db  # noqa: E402

#: (Chinese, English) words the synthetic titles are made of.
GOODS = [
    ("酥梨", "crisp pears"),
    ("苹果", "apples"),
    ("红枣", "red jujubes"),
    ("小米", "millet"),
    ("红糖", "brown sugar"),
    ("核桃", "walnuts"),
    ("金针菇", "enoki mushrooms"),
    ("青稞", "highland barley"),
    ("牦牛肉干", "yak jerky"),
    ("梨膏", "pear syrup"),
    ("猕猴桃", "kiwi fruit"),
    ("剪纸", "paper-cut"),
]
QUALITIES = [
    ("精选", "Selected"),
    ("有机", "Organic"),
    ("农家", "Farmhouse"),
    ("手工", "Handmade"),
    ("新季", "New-season"),
    ("高山", "Mountain"),
]
SIZES = [("500 克", "500 g"), ("1 公斤", "1 kg"), ("2.5 公斤", "2.5 kg")]
FEATURED_PER_REGION = 8


def make_catalogue(count: int, practice: int = 0, seed: int = 3) -> int:
    """Add `count` public products (and `practice` hidden ones); returns the first new id."""
    rng = random.Random(seed)
    shops = db.session.scalars(
        select(Shop)
        .join(Region, Shop.region_id == Region.id)
        .where(Shop.kind == ShopKind.EXHIBITOR)
    ).all()
    if not shops:
        raise SystemExit("No exhibitor shops: run `flask seed` first.")
    categories = db.session.scalars(select(Category.id)).all()
    pictures = db.session.execute(
        select(ProductImage.key, ProductImage.width, ProductImage.height).distinct()
    ).all()
    regions = {shop.region_id: db.session.get(Region, shop.region_id) for shop in shops}
    owners = [shop.owner_id for shop in shops]
    if practice:
        practice_shop = Shop(
            owner_id=owners[0],
            region_id=shops[0].region_id,
            slug=f"bench-practice-{rng.randrange(10**6)}",
            name_zh="练习店铺",
            name_en="Practice shop",
            kind=ShopKind.PRACTICE,
        )
        db.session.add(practice_shop)
        db.session.flush()
    first_id = (db.session.scalar(select(func.max(Product.id))) or 0) + 1
    now = datetime.now(UTC)
    products, variants, images = [], [], []
    featured_left = {region_id: FEATURED_PER_REGION for region_id in regions}
    sku = db.session.scalar(select(func.count(Variant.id))) or 0
    for index in range(count + practice):
        product_id = first_id + index
        hidden = index >= count
        shop = practice_shop if hidden else shops[index % len(shops)]
        region = regions.get(shop.region_id) or regions[shops[0].region_id]
        good_zh, good_en = rng.choice(GOODS)
        quality_zh, quality_en = rng.choice(QUALITIES)
        featured = not hidden and featured_left[shop.region_id] > 0
        if featured:
            featured_left[shop.region_id] -= 1
        stamp = now - timedelta(minutes=count - index)
        products.append(
            {
                "id": product_id,
                "shop_id": shop.id,
                "region_id": shop.region_id,
                "category_id": rng.choice(categories) if categories else None,
                "slug": f"{quality_en.lower()}-{good_en.replace(' ', '-')}-{product_id}",
                "title_zh": f"{region.name_zh}{quality_zh}{good_zh} {product_id}号",
                "title_en": f"{quality_en} {good_en} from {region.name_en}, no. {product_id}",
                "description_zh": f"{region.name_zh}的{quality_zh}{good_zh}，由当地农户种植、挑选和包装。",
                "description_en": (
                    f"{quality_en} {good_en} grown, picked and packed by families in "
                    f"{region.name_en}."
                ),
                "tags": f"{good_zh},{good_en}",
                "status": "published",
                "featured": featured,
                "featured_position": FEATURED_PER_REGION - featured_left[shop.region_id]
                if featured
                else 0,
                "moderation_note": "",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        for position in range(rng.randint(1, 3)):
            sku += 1
            spec_zh, spec_en = SIZES[position]
            variants.append(
                {
                    "product_id": product_id,
                    "sku": f"BENCH-{sku}",
                    "spec_zh": spec_zh,
                    "spec_en": spec_en,
                    "price_fen": rng.randrange(990, 19900, 10) * (position + 1),
                    "stock": rng.choice((0, 2, 5, 40, 120, 300)),
                    "weight_g": 500 * (position + 1),
                    "position": position,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
        if pictures:
            key, width, height = pictures[index % len(pictures)]
            images.append(
                {
                    "product_id": product_id,
                    "key": key,
                    "width": width,
                    "height": height,
                    "position": 0,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
    # Bulk statements through the session: the catalogue version moves with them (products.cache).
    for table, rows in ((Product, products), (Variant, variants), (ProductImage, images)):
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(table), rows[start : start + 2000])
    if db.engine.dialect.name == "postgresql":
        # Product ids were given explicitly: move the sequence past them for later inserts.
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('product', 'id'), (SELECT max(id) FROM product))"
            )
        )
    db.session.commit()
    return first_id


def main() -> None:
    """Command line: add products to the database the environment points at."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--practice", type=int, default=0)
    arguments = parser.parse_args()
    from shop import create_app

    app = create_app()
    with app.app_context():
        first = make_catalogue(arguments.products, arguments.practice)
        total = db.session.scalar(select(func.count(Product.id)))
    print(f"Added {arguments.products} products from id {first}; {total} products in all.")


if __name__ == "__main__":
    main()
