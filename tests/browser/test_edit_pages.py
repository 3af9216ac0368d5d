"""Editing a discount and a cohort in the browser, on a phone and a desktop, in both languages:
the page fits, the discount form shows only the chosen kind's amount, and a save shows."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from products.models import Discount, Product, Shop, Variant
from shop.accounts.models import User
from shop.extensions import db
from shop.training.models import Cohort
from tests.browser.test_workspace_fits_phone import _logged_in

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/edits")  # noqa: S108  screenshots to look at, not data
SIZES = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 800}}


def _discounts(app) -> tuple[int, int]:
    """A running percentage discount and a scheduled fixed-price one of the Lingshou exhibitor."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with app.app_context():
        owner = db.session.scalar(
            select(User.id).where(User.email == "exhibitor-lingshou@demo.villagemarket.test")
        )
        shop = db.session.scalar(select(Shop).where(Shop.owner_id == owner))
        variants = list(
            db.session.scalars(
                select(Variant)
                .join(Product)
                .where(Product.shop_id == shop.id)
                .order_by(Variant.price_fen.desc(), Variant.id)
                .limit(3)
            )
        )
        running = Discount(
            shop_id=shop.id,
            name_zh="直播秒杀",
            name_en="Live sale",
            kind="percent",
            percent_off=15,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            quantity_cap=50,
            quantity_sold=3,
            variants=variants[:2],
        )
        scheduled = Discount(
            shop_id=shop.id,
            name_zh="周末特价",
            name_en="Weekend price",
            kind="fixed_price",
            fixed_price_fen=min(variant.price_fen for variant in variants[2:]) - 100,
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=3),
            variants=variants[2:],
        )
        db.session.add_all([running, scheduled])
        db.session.commit()
        return running.id, scheduled.id


def _shoot(page, name: str) -> None:
    """Screenshots at both sizes; neither scrolls sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (name, size, width)
    page.set_viewport_size(SIZES["390"])


def test_a_seller_edits_a_scheduled_and_a_running_discount(browser, live_server, seeded):
    running, scheduled = _discounts(seeded)
    context, page = _logged_in(
        browser, live_server, "exhibitor-lingshou@demo.villagemarket.test", "demo-Lingshou-2026"
    )
    try:
        for lang in ("zh", "en"):
            page.goto(f"{live_server}/sell/discounts/{scheduled}/edit?lang={lang}")
            # A fixed-price discount opens with its price field, not the percentage.
            expect(page.locator("#fixed_price")).to_be_visible()
            expect(page.locator("#zhe" if lang == "zh" else "#percent_off")).to_be_hidden()
            expect(page.locator(".discount-result").first).to_contain_text("→ ¥")
            _shoot(page, f"discount-scheduled-{lang}")
            page.goto(f"{live_server}/sell/discounts/{running}/edit?lang={lang}")
            expect(page.locator(".discount-fixed")).to_contain_text(
                "8.5折" if lang == "zh" else "15% off"
            )
            expect(page.locator("input[name=kind]")).to_have_count(0)
            _shoot(page, f"discount-running-{lang}")

        page.goto(f"{live_server}/sell/discounts?lang=zh")
        page.get_by_role("link", name="编辑 周末特价").click()
        page.get_by_label("中文名称（例如：直播秒杀）").fill("周末尝鲜价")
        page.get_by_role("button", name="保存修改").click()
        expect(page.get_by_role("row", name="周末尝鲜价")).to_be_visible()
        expect(page.get_by_text("折扣“周末尝鲜价”")).to_be_visible()
        _shoot(page, "discounts-list-zh")
    finally:
        context.close()


def test_a_trainer_corrects_a_cohorts_name(browser, live_server, seeded):
    with seeded.app_context():
        cohort = db.session.scalar(
            select(Cohort.id)
            .join(User, User.id == Cohort.trainer_id)
            .where(User.email == "trainer@demo.villagemarket.test")
        )
    context, page = _logged_in(
        browser, live_server, "trainer@demo.villagemarket.test", "demo-Trainer-2026"
    )
    try:
        for lang in ("zh", "en"):
            page.goto(f"{live_server}/train/cohorts/{cohort}/edit?lang={lang}")
            _shoot(page, f"cohort-{lang}")
        page.goto(f"{live_server}/train/cohorts/{cohort}?lang=zh")
        page.get_by_role("link", name="修改班级信息").click()
        page.get_by_label("名字").fill("灵寿 2026 春季示范班")
        page.get_by_role("button", name="保存修改").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("灵寿 2026 春季示范班")
        expect(page.get_by_text("班级信息已保存。")).to_be_visible()
    finally:
        context.close()
