"""The demo catalogue: regions, shops and real products, loaded once and only once."""

from sqlalchemy import func, select

from products.images import rendition_name, rendition_widths, thumbnail_name
from products.models import Product, Region, Shop, Variant
from shop.accounts.models import Role, User
from shop.extensions import db

EXHIBITION_REGIONS = {"lingshou", "yanan", "yiwu", "dangshan", "dege", "chengdu"}
PARTNER_COUNTRIES = {"cambodia", "laos", "azerbaijan", "turkmenistan"}


def test_seed_loads_regions_shops_products_and_accounts(seeded):
    with seeded.app_context():
        regions = {region.slug: region for region in db.session.scalars(select(Region))}
        assert set(regions) == EXHIBITION_REGIONS | PARTNER_COUNTRIES
        assert {slug for slug, region in regions.items() if region.coming_soon} == PARTNER_COUNTRIES
        for slug in EXHIBITION_REGIONS:
            shops = db.session.scalars(select(Shop).where(Shop.region_id == regions[slug].id)).all()
            assert len(shops) == 1, slug
            assert shops[0].kind == "exhibitor"
            assert 3 <= len(shops[0].products) <= 6, slug
            assert "演示" in shops[0].story_zh and "demo" in shops[0].story_en.lower()
        roles = set()
        for user in db.session.scalars(select(User)):
            roles |= user.roles
        assert roles == set(Role.ALL)


def test_every_seeded_product_has_a_picture_and_a_sellable_variant(seeded):
    with seeded.app_context():
        store = seeded.extensions["image_store"]
        products = db.session.scalars(select(Product)).all()
        assert len(products) >= 18
        for product in products:
            assert product.title_zh and product.title_en and product.description_zh
            assert product.variants, product.slug
            assert all(v.price_fen > 0 and v.stock >= 0 for v in product.variants)
            assert product.images, product.slug
            image = product.images[0]
            for width in rendition_widths(image.width):
                assert store.exists(rendition_name(image.key, width))
            assert store.exists(thumbnail_name(image.key))
            assert image.width == 1600


def test_seeded_prices_follow_the_facts(seeded):
    with seeded.app_context():
        prices = {
            variant.spec_en: variant.price_fen
            for variant in db.session.scalars(
                select(Variant).join(Product).where(Product.title_en.ilike("%dangshan%pear%"))
            )
        }
        assert 3990 in prices.values() and 6990 in prices.values()


def test_seeding_twice_changes_nothing_and_says_so(seeded):
    runner = seeded.test_cli_runner()
    with seeded.app_context():
        before = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Region, Shop, Product, Variant, User)
        }
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    with seeded.app_context():
        after = {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Region, Shop, Product, Variant, User)
        }
    assert after == before


def test_seed_on_an_empty_database_reports_what_it_added(app, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "Seeded:" in result.output and "products" in result.output


def test_the_readme_lists_every_demo_account_as_demo_only():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    accounts = tomllib.loads((root / "seed_data" / "accounts.toml").read_text(encoding="utf-8"))
    assert "for the demo only" in readme
    for account in accounts["account"]:
        assert f"`{account['email']}` | `{account['password']}`" in readme


def test_demo_accounts_can_log_in_with_the_listed_password(seeded):
    with seeded.app_context():
        organizer = db.session.scalar(
            select(User).where(User.email == "organizer@demo.villagemarket.test")
        )
        assert organizer.check_password("demo-Organizer-2026")
        assert organizer.has_role("organizer")


def test_seed_if_empty_leaves_an_existing_catalogue_alone(seeded):
    with seeded.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == "lingshou-walnuts"))
        db.session.delete(product)
        db.session.commit()
    result = seeded.test_cli_runner().invoke(args=["seed", "--if-empty"])
    assert result.exit_code == 0
    assert "not seeding it again" in result.output
    with seeded.app_context():
        # A seller's deletion survives a restart: `make run` does not bring the product back.
        assert db.session.scalar(select(Product).where(Product.slug == "lingshou-walnuts")) is None
