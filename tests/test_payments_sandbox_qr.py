"""The sandbox's simulated WeChat Pay and Alipay: a QR code page whose buttons make the scan pay,
fail or time out, each reported as the payment event Stripe sends and handled like a webhook."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.http_buyer import Browser
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import services as orders
from shop.orders.models import OrderEvent
from shop.payments.models import Payment, WebhookEvent
from tests.forms import form_data, form_on
from tests.live_http import running_server
from tests.shopping import (
    ADDRESS,
    add_to_cart,
    orders_of,
    pay_with_card,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)

HOSTILE = ["²³", "99999999999999999999", "\x00", "%00", "🐼", "x" * 10_000, "<script>", "Alipay"]


@pytest.fixture
def checkout(app, client, make_product):
    """A placed, unpaid checkout of 2 units (stock 5): (payment token, variant id)."""
    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    return payment_token(place_order(client)), variant


def _payment(app, token: str) -> Payment:
    with app.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.token == token))
        db.session.expunge(payment)
        return payment


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def method_form(html: str, token: str):
    """The payment page's WeChat Pay / Alipay form."""
    return form_on(html, f"/payments/sandbox/{token}/qr")


def scan_form(html: str, token: str, method: str):
    """The QR page's simulated-scan form (it posts to the page's own address)."""
    path = f"/payments/sandbox/{token}/qr/{method}"
    return form_on(html, path, path)


def choose(client, token: str, method: str, lang: str = ""):
    """Press WeChat Pay or Alipay on the sandbox payment page."""
    form = method_form(client.get(f"/payments/sandbox/{token}").get_data(as_text=True), token)
    return client.post(
        form.action + (f"?lang={lang}" if lang else ""),
        data=form_data(form, button=("method", method)),
    )


def scan(client, token: str, method: str, action: str, lang: str = ""):
    """On the QR page, press one of the simulated scan's buttons."""
    page = f"/payments/sandbox/{token}/qr/{method}" + (f"?lang={lang}" if lang else "")
    form = scan_form(client.get(page).get_data(as_text=True), token, method)
    return client.post(form.action or page, data=form_data(form, button=("action", action)))


def test_the_payment_page_offers_wechat_pay_and_alipay_beside_the_cards(client, checkout):
    token, _ = checkout
    chinese = client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert "微信支付" in chinese and "支付宝" in chinese and "用银行卡支付" in chinese
    english = client.get(f"/payments/sandbox/{token}?lang=en").get_data(as_text=True)
    assert ">WeChat Pay</button>" in english and ">Alipay</button>" in english
    assert "4242 4242 4242 4242" in english


@pytest.mark.parametrize(
    ("method", "zh_name", "en_name"),
    [("wechat_pay", "微信", "WeChat"), ("alipay", "支付宝", "Alipay")],
)
def test_choosing_a_wallet_shows_its_qr_code_and_waits_for_the_scan(
    app, client, checkout, method, zh_name, en_name
):
    token, variant = checkout
    response = choose(client, token, method)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}/qr/{method}")
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and "<path" in html
    for text in (
        "模拟扫码支付成功",
        "模拟扫码支付失败",
        "模拟支付超时",
        f"请打开{zh_name}",
        "¥79.80",
    ):
        assert text in html
    # Nothing from elsewhere, nothing the CSP would block.
    assert "style=" not in html and "<script" not in html and "<img" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    english = client.get(f"/payments/sandbox/{token}/qr/{method}?lang=en").get_data(as_text=True)
    for text in ("Simulate scan: paid", "Simulate scan: failed", "Simulate scan: timed out"):
        assert text in english
    assert f"Open {en_name}, tap Scan" in english
    after = _payment(app, token)
    assert (after.status, after.method) == ("requires_action", method)
    assert orders_of(app, token)[0].status == "pending_payment"
    assert stock_of(app, variant) == 3
    assert _count(app, WebhookEvent) == 0


def test_a_paid_scan_pays_through_the_webhook_path_and_the_method_is_shown(
    app, client, checkout, login_as
):
    token, variant = checkout
    choose(client, token, "wechat_pay")
    response = scan(client, token, "wechat_pay", "paid")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    done = client.get(f"/checkout/done/{token}").get_data(as_text=True)
    assert "谢谢！已收到您的付款。" in done and "付款方式：微信支付。" in done
    english = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    assert "Paid with WeChat Pay." in english
    assert (_payment(app, token).status, _payment(app, token).method) == ("succeeded", "wechat_pay")
    order = orders_of(app, token)[0]
    assert order.status == "paid"
    assert [event.actor_kind for event in order.events] == ["guest", "sandbox"]
    assert stock_of(app, variant) == 3
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent))
        assert (event.gateway, event.type) == ("sandbox", "checkout.session.completed")
        assert event.outcome.startswith("paid 1 orders")
    # The buyer's order page and the seller's show how it was paid, in both languages.
    mine = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "付款方式：微信支付。" in mine
    assert "Paid with WeChat Pay." in client.get(f"/orders/{order.number}?lang=en").get_data(
        as_text=True
    )
    with app.app_context():
        from shop.accounts.models import User
        from shop.orders.models import Order

        shop = db.session.scalar(select(Order).where(Order.number == order.number)).shop
        seller = login_as(db.session.get(User, shop.owner_id))
    assert "付款方式：微信支付。" in seller.get(f"/sell/orders/{order.number}").get_data(
        as_text=True
    )
    seller_en = seller.get(f"/sell/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "Paid with WeChat Pay." in seller_en


def test_a_failed_scan_is_a_decline_the_orders_stay_and_another_method_pays(app, client, checkout):
    token, variant = checkout
    numbers = [order.number for order in orders_of(app, token)]
    choose(client, token, "wechat_pay")
    response = scan(client, token, "wechat_pay", "failed")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    page = client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert "请重试或换一种方式付款" in page and "微信支付付款没有成功，没有扣款。" in page
    english = client.get(f"/payments/sandbox/{token}?lang=en").get_data(as_text=True)
    assert "Try again or pay another way" in english
    assert "4 more tries before the orders are cancelled." in english
    after = _payment(app, token)
    assert (after.status, after.declines, after.method) == ("pending", 1, "wechat_pay")
    order = orders_of(app, token)[0]
    assert (order.status, [event.reason_code for event in order.events]) == (
        "pending_payment",
        ["placed"],
    )
    assert stock_of(app, variant) == 3
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent))
        assert event.type == "payment_intent.payment_failed"
        assert event.outcome.startswith("declined (1)")
    # The same orders, paid with Alipay.
    choose(client, token, "alipay")
    scan(client, token, "alipay", "paid")
    paid = orders_of(app, token)
    assert [(order.number, order.status) for order in paid] == [(numbers[0], "paid")]
    assert _payment(app, token).method == "alipay"
    assert stock_of(app, variant) == 3


def test_failed_scans_count_towards_the_same_cap_as_declined_cards(app, client, checkout):
    token, variant = checkout
    pay_with_card(client, token, "4000000000000002")
    pay_with_card(client, token, "4000000000000002")
    for _attempt in range(2):
        choose(client, token, "alipay")
        assert scan(client, token, "alipay", "failed").headers["Location"].endswith(token)
    assert orders_of(app, token)[0].status == "pending_payment"
    choose(client, token, "wechat_pay")
    response = scan(client, token, "wechat_pay", "failed", lang="en")
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    done = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The payment failed again. The orders were cancelled" in done
    assert _payment(app, token).status == "failed"
    order = orders_of(app, token)[0]
    assert (order.status, order.events[-1].reason_code) == ("cancelled", "payment_failed")
    assert stock_of(app, variant) == 5


def test_a_timed_out_scan_ends_that_attempt_only_and_counts_no_decline(app, client, checkout):
    token, variant = checkout
    choose(client, token, "wechat_pay")
    response = scan(client, token, "wechat_pay", "timeout")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "二维码在付款前已过期，没有扣款。订单为您保留到" in page
    after = _payment(app, token)
    assert (after.status, after.declines) == ("pending", 0)
    assert orders_of(app, token)[0].status == "pending_payment"
    assert stock_of(app, variant) == 3
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent))
        assert (event.gateway, event.type) == ("sandbox", "payment_intent.payment_failed")
        assert event.outcome.startswith("attempt expired")
    # The old code's page now leads back to choosing; a new code can be shown and paid.
    assert (
        client.get(f"/payments/sandbox/{token}/qr/wechat_pay")
        .headers["Location"]
        .endswith(f"/payments/sandbox/{token}")
    )
    choose(client, token, "wechat_pay", lang="en")
    english = scan(client, token, "wechat_pay", "timeout", lang="en")
    page = client.get(english.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The QR code expired before it was paid. Nothing was charged." in page
    choose(client, token, "wechat_pay")
    scan(client, token, "wechat_pay", "paid")
    assert orders_of(app, token)[0].status == "paid"


def test_the_qr_page_after_the_payment_window_leads_to_the_unpaid_orders(app, client, checkout):
    token, variant = checkout
    choose(client, token, "alipay")
    with app.app_context():
        later = utcnow() + orders.RESERVATION_TIME + timedelta(minutes=1)
        assert orders.expire_overdue(now=later) == 1
        db.session.commit()
    response = client.get(f"/payments/sandbox/{token}/qr/alipay")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    assert stock_of(app, variant) == 5


def test_tapping_paid_twice_pays_once(app, client, checkout):
    token, _ = checkout
    choose(client, token, "wechat_pay")
    page = client.get(f"/payments/sandbox/{token}/qr/wechat_pay").get_data(as_text=True)
    data = form_data(scan_form(page, token, "wechat_pay"), button=("action", "paid"))
    first = client.post(f"/payments/sandbox/{token}/qr/wechat_pay", data=data)
    second = client.post(f"/payments/sandbox/{token}/qr/wechat_pay", data=data)
    assert first.headers["Location"].endswith(f"/checkout/done/{token}")
    assert second.headers["Location"].endswith(f"/checkout/done/{token}")
    assert _count(app, WebhookEvent) == 1
    assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1


def test_tapping_failed_twice_counts_one_decline(app, client, checkout):
    token, _ = checkout
    choose(client, token, "alipay")
    page = client.get(f"/payments/sandbox/{token}/qr/alipay").get_data(as_text=True)
    data = form_data(scan_form(page, token, "alipay"), button=("action", "failed"))
    client.post(f"/payments/sandbox/{token}/qr/alipay", data=data)
    client.post(f"/payments/sandbox/{token}/qr/alipay", data=data)
    assert _payment(app, token).declines == 1
    assert _count(app, WebhookEvent) == 1


def _at_once(browser: Browser, path: str, data, times: int = 4) -> list:
    start = threading.Barrier(times)

    def send(_):
        start.wait()
        return browser.request(path, data)

    with ThreadPoolExecutor(max_workers=times) as pool:
        results = list(pool.map(send, range(times)))
    assert all(status < 500 for status, _, _ in results), results
    return results


@pytest.mark.parametrize("action", ["paid", "failed"])
def test_a_scan_button_tapped_four_times_at_once_acts_once(app, make_product, action):
    variant = variant_id(app, make_product(stock=5))
    with running_server(app) as base:
        buyer = Browser(base)
        assert buyer.add_to_cart(variant, 1) == 302
        _, location, _ = buyer.place_order(buyer.checkout_form(ADDRESS))
        token = location.split("/payments/")[1].split("/")[0]
        form = method_form(buyer.request(f"/payments/sandbox/{token}")[2], token)
        chosen = form_data(form, button=("method", "wechat_pay"))
        buyer.request(form.action, list(chosen.items(multi=True)))
        qr = f"/payments/sandbox/{token}/qr/wechat_pay"
        form = scan_form(buyer.request(qr)[2], token, "wechat_pay")
        _at_once(buyer, qr, list(form_data(form, button=("action", action)).items(multi=True)))
    assert _count(app, WebhookEvent) == 1
    if action == "paid":
        assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1
        assert _payment(app, token).status == "succeeded"
    else:
        assert (_payment(app, token).status, _payment(app, token).declines) == ("pending", 1)
    assert stock_of(app, variant) == 4


def test_a_stale_qr_page_cannot_pay_after_another_method_was_chosen(app, client, checkout):
    token, _ = checkout
    choose(client, token, "wechat_pay")
    stale = client.get(f"/payments/sandbox/{token}/qr/wechat_pay").get_data(as_text=True)
    choose(client, token, "alipay")
    stale_form = scan_form(stale, token, "wechat_pay")
    response = client.post(
        f"/payments/sandbox/{token}/qr/wechat_pay",
        data=form_data(stale_form, button=("action", "paid")),
    )
    assert response.status_code == 303
    assert _payment(app, token).status == "requires_action"
    assert _count(app, WebhookEvent) == 0
    # The payment page reminds the buyer of the code still waiting.
    page = client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert "您的支付宝二维码还在等待扫码。" in page


def test_a_card_can_still_pay_while_a_code_waits(app, client, checkout):
    token, _ = checkout
    choose(client, token, "alipay")
    response = pay_with_card(client, token, "4242 4242 4242 4242")
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    assert (_payment(app, token).status, _payment(app, token).method) == ("succeeded", "card")
    assert "付款方式：银行卡。" in client.get(f"/checkout/done/{token}").get_data(as_text=True)


def test_a_card_waiting_for_confirmation_is_not_turned_into_a_qr_code(app, client, checkout):
    token, _ = checkout
    # The payment page left open in another tab, its buttons pressed after the card went on to
    # its confirmation step (the confirm page itself offers no QR methods).
    page = client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    pay_with_card(client, token, "4000 0025 0000 3155")
    response = client.post(
        f"/payments/sandbox/{token}/qr",
        data=form_data(method_form(page, token), button=("method", "wechat_pay")),
    )
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}/confirm")
    assert (_payment(app, token).status, _payment(app, token).method) == ("requires_action", "card")
    assert client.get(f"/payments/sandbox/{token}/qr/wechat_pay").status_code == 303


#: Not found, or refused before the page (a NUL byte in the address, a POST without its token).
REFUSED = (400, 404)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_methods_in_the_address_are_refused(app, client, checkout, value):
    token, _ = checkout
    choose(client, token, "wechat_pay")
    page = client.get(f"/payments/sandbox/{token}/qr/wechat_pay").get_data(as_text=True)
    assert client.get(f"/payments/sandbox/{token}/qr/{value}").status_code in REFUSED
    # The real page's form, sent to a forged address.
    response = client.post(
        f"/payments/sandbox/{token}/qr/{value}",
        data=form_data(scan_form(page, token, "wechat_pay"), button=("action", "paid")),
    )
    assert response.status_code in REFUSED
    assert _payment(app, token).status == "requires_action"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_tokens_are_refused(client, checkout, value):
    token, _ = checkout
    page = client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert client.get(f"/payments/sandbox/{value}/qr/wechat_pay").status_code in REFUSED
    # The real page's form, sent to a forged address.
    response = client.post(
        f"/payments/sandbox/{value}/qr",
        data=form_data(method_form(page, token), button=("method", "alipay")),
    )
    assert response.status_code in REFUSED


@pytest.mark.parametrize("value", [*HOSTILE, ""])
def test_hostile_method_choices_change_nothing(app, client, checkout, value):
    token, _ = checkout
    response = choose(client, token, value, lang="en")
    if "\x00" in value:
        assert response.status_code == 400  # the site refuses NUL in any form first
    else:
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
        page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
        assert "Choose WeChat Pay or Alipay, or pay with a card." in page
    assert (_payment(app, token).status, _payment(app, token).method) == ("pending", None)


@pytest.mark.parametrize("value", [*HOSTILE, "", "PAID", "paid "])
def test_hostile_scan_actions_change_nothing(app, client, checkout, value):
    token, _ = checkout
    choose(client, token, "alipay")
    response = scan(client, token, "alipay", value, lang="en")
    assert response.status_code == 400
    if "\x00" not in value:  # the site refuses NUL in any form first
        assert "Choose one of the buttons below." in response.get_data(as_text=True)
        assert "模拟扫码支付成功" in scan(client, token, "alipay", value).get_data(as_text=True)
    assert _payment(app, token).status == "requires_action"
    assert _count(app, WebhookEvent) == 0


def test_a_scan_without_the_form_token_changes_nothing(app, client, checkout):
    token, _ = checkout
    choose(client, token, "alipay")
    # Forged on purpose: no token.
    response = client.post(f"/payments/sandbox/{token}/qr/alipay", data={"action": "paid"})
    assert response.status_code == 400
    assert _payment(app, token).status == "requires_action"
    response = client.post(f"/payments/sandbox/{token}/qr", data={"method": "wechat_pay"})
    assert response.status_code == 400
    assert _payment(app, token).method == "alipay"
