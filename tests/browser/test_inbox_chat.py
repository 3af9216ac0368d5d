"""The inbox on a phone (390x844): a thread reads as a chat, newest at the bottom, the reply
box in reach without scrolling, and a quick reply goes into it with one tap."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.accounts.models import User
from shop.extensions import db
from shop.messages import services
from shop.orders.models import Order
from tests.browser.layout import assert_fits_the_phone
from tests.live_http import running_server
from tests.shopping import buy, orders_of, variant_id

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
EXCHANGES = 12


@pytest.fixture
def long_thread(app, make_user, make_shop, make_product):
    """A seller's paid order with a long conversation: 24 messages, buyer and seller in turn."""
    seller = make_user("exhibitor", email="chat-seller@example.test", language="en")
    shop = make_shop(owner=seller)
    order = orders_of(app, buy(app.test_client(), variant_id(app, make_product(shop=shop))))[0]
    with app.test_request_context():
        row = db.session.scalar(select(Order).where(Order.id == order.id))
        person = db.session.get(User, seller.id)
        for turn in range(1, EXCHANGES + 1):
            services.post_buyer_message(row, f"买家第{turn}条：梨什么时候能到？" + "请尽快。" * 6)
            services.post_seller_reply(
                services.thread_for(row), person, f"卖家第{turn}条：今天下午发顺丰。"
            )
        services.post_buyer_message(row, "最后一条：好的，谢谢！")
        db.session.commit()
    return order.number


def _log_in(page, base: str, lang: str) -> None:
    page.goto(f"{base}/login?lang={lang}")
    page.get_by_label("邮箱" if lang == "zh" else "Email").fill("chat-seller@example.test")
    page.get_by_label("密码" if lang == "zh" else "Password").fill(PASSWORD)
    page.get_by_role("button", name="登录" if lang == "zh" else "Log in").click()


def _in_view(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_a_long_thread_on_a_phone_reads_as_a_chat_with_the_reply_box_in_reach(
    app, browser, long_thread
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", device_scale_factor=1
    )
    page = context.new_page()
    with running_server(app) as base:
        _log_in(page, base, "en")
        page.goto(f"{base}/sell/inbox?lang=en")
        expect(page.get_by_role("link", name=long_thread)).to_be_visible()
        assert_fits_the_phone(page)

        page.get_by_role("link", name=long_thread).click()
        bubbles = page.locator(".chat-list > li")
        expect(bubbles).to_have_count(2 * EXCHANGES + 1)
        # Oldest first, newest at the bottom: the buyer's on the left, the seller's on the right.
        texts = bubbles.locator(".message-body").all_inner_texts()
        assert texts[0].startswith("买家第1条") and texts[1].startswith("卖家第1条")
        assert texts[-1] == "最后一条：好的，谢谢！"
        buyer_box = bubbles.nth(0).locator(".message-body").bounding_box()
        seller_box = bubbles.nth(1).locator(".message-body").bounding_box()
        assert buyer_box["x"] < 40 and seller_box["x"] + seller_box["width"] > 350
        assert seller_box["x"] > buyer_box["x"] + 40

        # Opened at the newest message, with the reply box on screen without scrolling.
        reply_box = page.get_by_label("Your reply")
        assert _in_view(page, reply_box)
        assert _in_view(page, page.get_by_role("button", name="Send", exact=True))
        assert page.evaluate("window.scrollY") > 0
        assert _in_view(page, page.get_by_text("最后一条：好的，谢谢！"))
        assert_fits_the_phone(page)

        # Scrolling back to the top keeps the reply box at the bottom of the screen.
        page.evaluate("window.scrollTo(0, 0)")
        assert _in_view(page, reply_box)

        # One tap on a quick reply puts it in the box; the seller can add to it and send.
        reply_box.fill("好的，")
        page.get_by_role("button", name="Your order ships this afternoon", exact=False).click()
        expect(reply_box).to_have_value(
            "好的，\nYour order ships this afternoon; I will send you the tracking number."
        )
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.get_by_text("Your reply was sent.")).to_be_visible()
        expect(page.locator(".chat-list > li").last.locator(".message-body")).to_have_text(
            re.compile(r"^好的，\s*Your order ships this afternoon")
        )
        assert _in_view(page, page.get_by_label("Your reply"))

        # In Chinese too, nothing is wider than the phone.
        page.goto(f"{base}/sell/inbox/{long_thread}?lang=zh")
        expect(page.get_by_role("button", name="今天下午发货", exact=False)).to_be_visible()
        assert_fits_the_phone(page)
        page.goto(f"{base}/sell/inbox?lang=zh")
        assert_fits_the_phone(page)
    context.close()


def test_without_javascript_the_quick_reply_picker_fills_the_box(app, browser, long_thread):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    with running_server(app) as base:
        _log_in(page, base, "en")
        page.goto(f"{base}/sell/inbox/{long_thread}")
        page.get_by_label("Your reply").fill("Sorry!")
        page.get_by_label("Quick replies").select_option(index=3)
        page.get_by_role("button", name="Insert").click()
        expect(page.get_by_label("Your reply")).to_have_value(
            "Sorry!\nI have refunded you; please look out for the money. "
            "Thank you for your patience!"
        )
        assert_fits_the_phone(page)
    context.close()
