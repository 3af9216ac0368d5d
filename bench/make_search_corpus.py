"""A synthetic bilingual catalogue for the search benchmark, with the truth about every product.

    INSTANCE_PATH=/tmp/vm-search .venv/bin/python bench/make_search_corpus.py --products 100000

Titles read like real listings ("砀山酥梨 精选 5斤装" / "Dangshan crisp pears, selected, 5 jin
box"), descriptions are a few sentences from per-category phrases, tags mix both languages. Each
product's kind, place and quality are known, so bench/search.py can say which products a query
*should* find (its labelled recall set). Regions, categories and exhibitor shops are created when
missing; `--practice N` adds a trainee's practice shop whose products must never be found. Rows
go in with bulk INSERTs. Reusable from Python: make_corpus(count) inside an app context.
"""

import argparse
import os
import random
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import func, insert, select  # noqa: E402

from products.models import Category, Product, Region, Shop, ShopKind, Variant  # noqa: E402
from shop.extensions import db  # noqa: E402


@dataclass(frozen=True)
class Kind:
    """A kind of product: names in both languages, category, typical price, home regions."""

    zh: str
    en: str
    category: str
    price_fen: int
    regions: tuple[str, ...]
    heritage: bool = False


KINDS = (
    Kind("酥梨", "crisp pears", "fresh-fruit", 3990, ("dangshan",)),
    Kind("苹果", "apples", "fresh-fruit", 6800, ("yanan",)),
    Kind("猕猴桃", "kiwifruit", "fresh-fruit", 5900, ("chengdu",)),
    Kind("黄桃", "yellow peaches", "fresh-fruit", 4500, ("dangshan",)),
    Kind("红枣", "red jujubes", "dried-goods", 2990, ("yanan",)),
    Kind("南枣", "nanzao jujubes", "dried-goods", 4200, ("yiwu",)),
    Kind("核桃", "walnuts", "mushrooms-nuts", 4500, ("lingshou",)),
    Kind("金针菇", "enoki mushrooms", "mushrooms-nuts", 2500, ("lingshou",)),
    Kind("香菇", "shiitake mushrooms", "mushrooms-nuts", 3800, ("lingshou", "chengdu")),
    Kind("木耳", "wood ear fungus", "mushrooms-nuts", 3200, ("lingshou",)),
    Kind("小米", "millet", "grains", 4500, ("yanan",)),
    Kind("青稞", "highland barley", "grains", 2600, ("dege",)),
    Kind("糌粑", "tsampa", "grains", 3600, ("dege",)),
    Kind("荞麦", "buckwheat", "grains", 2200, ("dege", "yanan")),
    Kind("红糖", "brown sugar", "sweets-preserves", 2800, ("yiwu",)),
    Kind("梨膏", "pear syrup", "sweets-preserves", 3600, ("dangshan",)),
    Kind("蜂蜜", "honey", "sweets-preserves", 5800, ("yanan", "dege", "lingshou")),
    Kind("黄桃罐头", "canned yellow peaches", "sweets-preserves", 4990, ("dangshan",)),
    Kind("牦牛肉干", "yak jerky", "jerky-dairy", 8800, ("dege",)),
    Kind("牦牛酥油", "yak butter", "jerky-dairy", 6600, ("dege",)),
    Kind("豆瓣酱", "broad-bean paste", "condiments", 1990, ("chengdu",)),
    Kind("花椒", "Sichuan pepper", "condiments", 3500, ("chengdu",)),
    Kind("辣椒酱", "chilli sauce", "condiments", 1800, ("chengdu",)),
    Kind("剪纸", "paper-cut", "crafts", 12800, ("yanan",), heritage=True),
    Kind("木杖", "walking stick", "crafts", 16800, ("lingshou",), heritage=True),
    Kind("藏香", "Tibetan incense", "crafts", 6800, ("dege",), heritage=True),
    Kind("蜀绣", "Shu embroidery", "crafts", 26800, ("chengdu",), heritage=True),
    Kind("木刻印画", "woodblock print", "crafts", 19800, ("dege",), heritage=True),
    Kind("绿茶", "green tea", "dried-goods", 8800, ("chengdu", "yiwu")),
    Kind("火腿", "cured ham", "jerky-dairy", 15800, ("yiwu",)),
)

#: Places named in titles, by region: (Chinese, English).
PLACES = {
    "lingshou": (("灵寿", "Lingshou"), ("太行山", "Taihang")),
    "yanan": (("延安", "Yan'an"), ("洛川", "Luochuan"), ("延川", "Yanchuan"), ("安塞", "Ansai")),
    "yiwu": (("义乌", "Yiwu"), ("金华", "Jinhua")),
    "dangshan": (("砀山", "Dangshan"), ("宿州", "Suzhou")),
    "dege": (("德格", "Dege"), ("甘孜", "Garze"), ("康定", "Kangding")),
    "chengdu": (
        ("成都", "Chengdu"),
        ("蒲江", "Pujiang"),
        ("郫县", "Pixian"),
        ("双流", "Shuangliu"),
    ),
}
REGIONS = {
    "lingshou": ("灵寿县", "Lingshou County", "河北省", "Hebei"),
    "yanan": ("延安市", "Yan'an", "陕西省", "Shaanxi"),
    "yiwu": ("义乌市", "Yiwu", "浙江省", "Zhejiang"),
    "dangshan": ("砀山县", "Dangshan County", "安徽省", "Anhui"),
    "dege": ("德格县", "Dege County", "四川省", "Sichuan"),
    "chengdu": ("成都市", "Chengdu", "四川省", "Sichuan"),
}
CATEGORIES = {
    "fresh-fruit": ("鲜果", "Fresh fruit"),
    "mushrooms-nuts": ("菌菇坚果", "Mushrooms & nuts"),
    "grains": ("五谷杂粮", "Grains"),
    "dried-goods": ("干货特产", "Dried goods"),
    "jerky-dairy": ("肉干乳品", "Jerky & dairy"),
    "sweets-preserves": ("糖·膏·罐头", "Sugar, syrups & preserves"),
    "condiments": ("调味品", "Condiments"),
    "crafts": ("手作非遗", "Crafts & heritage"),
}
QUALITIES = (
    ("精选", "selected"),
    ("有机", "organic"),
    ("农家", "farmhouse"),
    ("手工", "handmade"),
    ("新鲜", "fresh"),
    ("特级", "premium"),
    ("古法", "traditional"),
    ("高山", "mountain"),
    ("野生", "wild"),
    ("当季", "in season"),
)
PACKS = (
    ("5斤装", "5 jin box", 1),
    ("10斤装", "10 jin box", 2),
    ("500克", "500 g", 1),
    ("1公斤", "1 kg", 2),
    ("礼盒装", "gift box", 3),
    ("家庭装", "family pack", 2),
)
SHOP_WORDS = (("农场", "Farm"), ("合作社", "Cooperative"), ("人家", "Family"), ("小店", "Shop"))
PHRASES_ZH = (
    "由当地农户种植、挑选和包装",
    "产地直发，坏果包赔",
    "适合送礼，也适合家里自己吃",
    "常温保存，开封后请尽快食用",
    "冷链发货，新鲜到家",
    "地理标志产品，品质有保证",
    "传统工艺，代代相传",
    "我们是培训班的学员，欢迎关注我们的小店",
)
PHRASES_EN = (
    "grown, picked and packed by local families",
    "shipped straight from the farm; damaged items replaced",
    "a good gift, and good to keep at home",
    "keep at room temperature and finish soon after opening",
    "sent chilled so it arrives fresh",
    "carries a geographical indication",
    "made the traditional way, handed down for generations",
    "we are trainees of the programme: follow our shop",
)
EXTRA_TAGS = (
    ("地理标志", "geographical indication"),
    ("包邮", "free shipping"),
    ("礼品", "gift"),
    ("冷链", "chilled"),
    ("农家", "farm"),
)


@dataclass(frozen=True)
class Truth:
    """What a synthetic product really is, for judging search results."""

    kind: str
    region: str
    place: str | None
    quality: str


def ensure_places() -> tuple[dict[str, int], dict[str, int], dict[str, list[int]], int]:
    """Regions, categories and two exhibitor shops per region, created when missing."""
    from shop.accounts.models import User

    regions = {region.slug: region for region in db.session.scalars(select(Region))}
    for position, (slug, (name_zh, name_en, province_zh, province_en)) in enumerate(
        REGIONS.items(), start=1
    ):
        if slug not in regions:
            regions[slug] = Region(
                slug=slug,
                name_zh=name_zh,
                name_en=name_en,
                province_zh=province_zh,
                province_en=province_en,
                latitude=30.0,
                longitude=110.0,
                position=position,
            )
            db.session.add(regions[slug])
    categories = {category.slug: category for category in db.session.scalars(select(Category))}
    for position, (slug, (name_zh, name_en)) in enumerate(CATEGORIES.items(), start=1):
        if slug not in categories:
            categories[slug] = Category(
                slug=slug, name_zh=name_zh, name_en=name_en, position=position
            )
            db.session.add(categories[slug])
    owner = db.session.scalar(select(User).where(User.email == "bench-seller@example.test"))
    if owner is None:
        owner = User(email="bench-seller@example.test", display_name="Bench seller")
        owner.set_password("bench seller password")
        owner.add_role("exhibitor")
        db.session.add(owner)
    db.session.flush()
    shops: dict[str, list[int]] = {}
    for slug, region in regions.items():
        if slug not in REGIONS:
            continue
        for number, (word_zh, word_en) in enumerate(SHOP_WORDS[:2]):
            shop_slug = f"bench-{slug}-{number}"
            shop = db.session.scalar(select(Shop).where(Shop.slug == shop_slug))
            if shop is None:
                place_zh, place_en = PLACES[slug][number % len(PLACES[slug])]
                shop = Shop(
                    owner_id=owner.id,
                    region_id=region.id,
                    slug=shop_slug,
                    name_zh=f"{place_zh}{word_zh}",
                    name_en=f"{place_en} {word_en}",
                    kind=ShopKind.EXHIBITOR,
                    # Organizer-approved: only approved shops' listings are public.
                    approved_at=datetime.now(UTC),
                )
                db.session.add(shop)
                db.session.flush()
            shops.setdefault(slug, []).append(shop.id)
    practice = db.session.scalar(select(Shop).where(Shop.slug == "bench-practice"))
    if practice is None:
        practice = Shop(
            owner_id=owner.id,
            region_id=regions["dangshan"].id,
            slug="bench-practice",
            name_zh="学员练习店",
            name_en="Trainee practice shop",
            kind=ShopKind.PRACTICE,
        )
        db.session.add(practice)
        db.session.flush()
    return (
        {slug: region.id for slug, region in regions.items()},
        {slug: category.id for slug, category in categories.items()},
        shops,
        practice.id,
    )


def _listing(rng: random.Random, region: str) -> tuple[Kind, tuple[str, str] | None, tuple]:
    # Mostly the region's own specialities, sometimes anything (shops sell what sells).
    home = [kind for kind in KINDS if region in kind.regions]
    kind = rng.choice(home) if home and rng.random() < 0.75 else rng.choice(KINDS)
    place = rng.choice(PLACES[region]) if rng.random() < 0.8 else None
    return kind, place, rng.choice(QUALITIES)


def make_corpus(count: int, practice: int = 0, seed: int = 4) -> dict[int, Truth]:
    """Add `count` public products (and `practice` hidden ones); returns the truth by product id."""
    rng = random.Random(seed)
    region_ids, category_ids, shops, practice_shop = ensure_places()
    first_id = (db.session.scalar(select(func.max(Product.id))) or 0) + 1
    sku = db.session.scalar(select(func.count(Variant.id))) or 0
    now = datetime.now(UTC)
    truth: dict[int, Truth] = {}
    products, variants = [], []
    slugs = list(REGIONS)
    for index in range(count + practice):
        product_id = first_id + index
        hidden = index >= count
        region = "dangshan" if hidden else slugs[index % len(slugs)]
        shop_id = practice_shop if hidden else rng.choice(shops[region])
        kind, place, (quality_zh, quality_en) = _listing(rng, region)
        pack_zh, pack_en, size = rng.choice(PACKS)
        place_zh, place_en = place or ("", "")
        title_zh = f"{place_zh}{kind.zh} {quality_zh} {pack_zh}"
        title_en = f"{(place_en + ' ') if place else ''}{kind.en}, {quality_en}, {pack_en}"
        phrases = rng.sample(range(len(PHRASES_ZH)), 3)
        description_zh = "。".join(
            [f"{place_zh or REGIONS[region][0]}的{quality_zh}{kind.zh}"]
            + [PHRASES_ZH[p] for p in phrases]
        )
        description_en = ". ".join(
            [f"{quality_en.capitalize()} {kind.en} from {place_en or REGIONS[region][1]}"]
            + [PHRASES_EN[p] for p in phrases]
        )
        tags = [kind.zh, kind.en] + ([place_zh, place_en] if place else [])
        if kind.heritage:
            tags += ["非遗", "intangible heritage"]
        tags += list(rng.choice(EXTRA_TAGS))
        stamp = now - timedelta(minutes=rng.randrange(60 * 24 * 700))
        products.append(
            {
                "id": product_id,
                "shop_id": shop_id,
                "region_id": region_ids[region],
                "category_id": category_ids[kind.category],
                "slug": f"bench-{product_id}",
                "title_zh": title_zh,
                "title_en": title_en[0].upper() + title_en[1:],
                "description_zh": description_zh + "。",
                "description_en": description_en + ".",
                "tags": ",".join(tags),
                "status": "published" if hidden or rng.random() < 0.97 else "draft",
                "featured": not hidden and rng.random() < 0.002,
                "featured_position": 0,
                "moderation_note": "",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        if products[-1]["status"] == "published":
            truth[product_id] = Truth(kind.zh, region, place_zh or None, quality_zh)
        for position in range(rng.randint(1, 3)):
            sku += 1
            variants.append(
                {
                    "product_id": product_id,
                    "sku": f"SEARCH-BENCH-{sku}",
                    "spec_zh": pack_zh if position == 0 else f"{pack_zh} × {position + 1}",
                    "spec_en": pack_en if position == 0 else f"{pack_en} × {position + 1}",
                    "price_fen": kind.price_fen * size * (position + 1)
                    + rng.randrange(-500, 500, 10),
                    "stock": rng.choice((0, 0, 3, 12, 40, 120, 300)),
                    "weight_g": 500 * size * (position + 1),
                    "position": position,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
    for table, rows in ((Product, products), (Variant, variants)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[start : start + 5000])
    db.session.commit()
    return {product_id: fact for product_id, fact in truth.items() if product_id < first_id + count}


def main() -> None:
    """Command line: add the corpus to the database the environment points at."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--practice", type=int, default=0)
    arguments = parser.parse_args()
    from shop import create_app

    app = create_app()
    with app.app_context():
        db.create_all()
        truth = make_corpus(arguments.products, arguments.practice)
        total = db.session.scalar(select(func.count(Product.id)))
    print(f"Added {arguments.products} products ({len(truth)} published); {total} in all.")


if __name__ == "__main__":
    main()
