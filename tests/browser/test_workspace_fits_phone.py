"""Every page of the seller, trainee, trainer and organizer workspaces fits a 390 px phone screen
without sideways scrolling, in Chinese and in English."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from products.models import Discount, DiscountKind, Product, Shop, Variant
from shop.accounts.models import User
from shop.extensions import db
from shop.models_base import utcnow
from shop.training import customers, services
from shop.training.models import Cohort

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LANGUAGES = ("zh", "en")
#: A long title, a long spec and a long shop name: what real farmers write.
LONG_TITLE_ZH = "灵寿县南营乡山区自家种植的薄皮核桃（生核桃，当季新货，五斤装礼盒）"
LONG_TITLE_EN = "Thin-shelled walnuts grown on our own hillside in Nanying township, Lingshou"


def _practice_shop_with_orders(app) -> dict:
    """The demo trainee's practice shop with listings, a discount, orders and a question."""
    with app.test_request_context():
        trainee = db.session.scalar(
            select(User).where(User.email == "trainee@demo.villagemarket.test")
        )
        cohort = db.session.scalar(select(Cohort).where(Cohort.join_code == "LINGSHOU"))
        shop = Shop(
            slug="phone-walnut-practice",
            name_zh="李家核桃园（灵寿县南营乡返乡青年实践店铺）",
            name_en="The Li family walnut orchard, practice shop of a returning youth",
            owner_id=trainee.id,
            region_id=cohort.region_id,
            kind="practice",
        )
        db.session.add(shop)
        db.session.flush()
        services.ensure_preview_token(shop)
        exhibitor_product = db.session.scalars(select(Product).order_by(Product.id)).first()
        product = Product(
            shop_id=shop.id,
            region_id=shop.region_id,
            slug="phone-walnuts",
            title_zh=LONG_TITLE_ZH,
            title_en=LONG_TITLE_EN,
            status="published",
        )
        product.variants.append(
            Variant(
                sku="PHONE-WALNUT-5JIN-GIFTBOX",
                spec_zh="五斤装礼盒（内含十个小袋）",
                spec_en="5 jin gift box (ten small bags inside)",
                price_fen=12800,
                stock=40,
            )
        )
        db.session.add(product)
        db.session.flush()
        now = utcnow()
        db.session.add(
            Discount(
                shop_id=shop.id,
                name_zh="中秋节限时特惠（直播间专享）",
                name_en="Mid-Autumn live-sale price, for the live room only",
                kind=DiscountKind.PERCENT,
                percent_off=15,
                starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=3),
                variants=list(product.variants),
            )
        )
        paid = customers.send_customer(shop, customers.Scenario.NORMAL).order
        question = customers.send_customer(shop, customers.Scenario.QUESTION).order
        db.session.commit()
        return {
            "trainee_id": trainee.id,
            "cohort_id": cohort.id,
            "product_id": product.id,
            "order": paid.number,
            "thread": question.number,
            "token": shop.preview_token,
            "exhibitor_product_id": exhibitor_product.id,
        }


def _logged_in(browser, base: str, email: str, password: str):
    """A phone-sized browser tab logged in as one of the demo accounts."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(base + "/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert "/login" not in page.url, email
    return context, page


def test_every_workspace_page_fits_a_phone_in_both_languages(browser, live_server, seeded):
    made = _practice_shop_with_orders(seeded)
    trainee, cohort = made["trainee_id"], made["cohort_id"]
    pages_by_account = {
        ("trainee@demo.villagemarket.test", "demo-Trainee-2026"): [
            "/sell/",
            "/sell/shop",
            "/sell/products",
            "/sell/products/new",
            f"/sell/products/{made['product_id']}",
            "/sell/products/import",
            "/sell/orders",
            f"/sell/orders/{made['order']}",
            f"/sell/orders/{made['order']}/packing-slip",
            "/sell/discounts",
            "/sell/discounts/new",
            "/sell/inbox",
            f"/sell/inbox/{made['thread']}",
            "/train",
            "/train/join",
            "/train/share",
            "/train/reset",
            "/train/customers",
            f"/practice/{made['token']}",
            f"/practice/{made['token']}/products/{made['product_id']}",
        ],
        ("exhibitor-lingshou@demo.villagemarket.test", "demo-Lingshou-2026"): [
            "/sell/",
            "/sell/products",
            "/sell/orders",
        ],
        ("trainer@demo.villagemarket.test", "demo-Trainer-2026"): [
            "/train/cohorts",
            "/train/cohorts/new",
            f"/train/cohorts/{cohort}",
            f"/train/cohorts/{cohort}/trainees/{trainee}/graduate",
            f"/train/customers/for/{trainee}",
        ],
        ("organizer@demo.villagemarket.test", "demo-Organizer-2026"): [
            "/organize/featured",
            "/organize/unpublish",
            f"/organize/products/{made['exhibitor_product_id']}/unpublish",
            f"/train/cohorts/{cohort}",
        ],
    }
    too_wide = []
    for (email, password), paths in pages_by_account.items():
        context, page = _logged_in(browser, live_server, email, password)
        try:
            for path in paths:
                for language in LANGUAGES:
                    separator = "&" if "?" in path else "?"
                    response = page.goto(f"{live_server}{path}{separator}lang={language}")
                    assert response.status == 200, (email, path, response.status)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    if width > page.evaluate("innerWidth"):
                        too_wide.append(f"{path} ({language}, {email.split('@')[0]}): {width} px")
        finally:
            context.close()
    assert not too_wide, "wider than a 390 px phone:\n" + "\n".join(too_wide)
