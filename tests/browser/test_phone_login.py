"""A villager signs up with a mobile number, confirms it with the texted code, logs out, and logs
back in with the number written another way, then with a code instead of the password."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.accounts.models import OutboxMessage
from shop.extensions import db
from tests.browser.layout import assert_fits_the_phone

pytestmark = pytest.mark.browser


def texted_code(app) -> str:
    """The code in the newest SMS of the outbox, as it reads on the phone."""
    with app.app_context():
        body = db.session.scalar(
            select(OutboxMessage.body)
            .where(OutboxMessage.to_phone.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", body).group(0)


def test_sign_up_with_a_number_confirm_by_code_and_log_in_both_ways(page, live_server, seeded):
    page.goto(live_server + "/signup?lang=zh")
    assert_fits_the_phone(page)
    page.get_by_label("手机号码").fill("139 0000 1234")
    page.get_by_label("您的名字").fill("王大姐")
    page.get_by_label("密码").fill("pears grow on the loess")
    page.get_by_role("button", name="创建账户").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("确认您的手机号")
    expect(page.get_by_role("status")).to_contain_text("139****1234")
    assert_fits_the_phone(page)
    page.get_by_label("短信验证码").fill("000000" if texted_code(seeded) != "000000" else "111111")
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_role("alert").last).to_contain_text("验证码不正确")
    page.get_by_label("短信验证码").fill(texted_code(seeded))
    page.get_by_role("button", name="确认").click()
    expect(page.get_by_text("欢迎您，王大姐")).to_be_visible()

    page.goto(live_server + "/account?lang=en")
    expect(page.get_by_text("139 0000 1234")).to_be_visible()
    page.context.clear_cookies()

    page.goto(live_server + "/login?lang=en")
    page.get_by_label("Email or mobile number").fill("+86 139-0000-1234")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert").first).to_contain_text("or the password is not right")
    expect(page.get_by_label("Email or mobile number")).to_have_value("+86 139-0000-1234")
    page.get_by_label("Password").fill("pears grow on the loess")
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.context.clear_cookies()

    page.goto(live_server + "/login?lang=zh")
    page.get_by_role("link", name="短信验证码登录").click()
    page.get_by_label("手机号码").fill("１３９００００１２３４")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("输入验证码")
    page.get_by_label("短信验证码").fill(texted_code(seeded))
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(live_server + "/account")
    expect(page.get_by_text("139 0000 1234")).to_be_visible()
