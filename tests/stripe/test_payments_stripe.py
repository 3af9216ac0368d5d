"""The Stripe gateway: Checkout Sessions in CNY, refunds, all through stripe-python.

The network is replaced at the transport only (tests.stripe_fakes.RecordedStripe answers with
recorded Stripe JSON); everything above it, the stripe library included, runs for real.
"""

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.orders.models import Order
from tests.shopping import (
    add_to_cart,
    form_token,
    orders_of,
    payment_token,
    place_order,
    variant_id,
)
from tests.stripe_fakes import (
    paid_through_webhook,
    payment_row,
    recording,
)


@pytest.fixture
def placed(app, client, make_product, make_shop, make_user):
    """Two shops' items in one checkout (¥79.80 + ¥8 shipping, ¥25): the payment token."""
    seller = make_user("exhibitor")
    pears = make_product(shop=make_shop(owner=seller, shipping_fee_fen=800), price_fen=3990)
    millet = make_product(price_fen=2500)
    add_to_cart(client, variant_id(app, pears), 2)
    add_to_cart(client, variant_id(app, millet), 1)
    token = payment_token(place_order(client))
    return token, seller


def test_paying_opens_a_checkout_session_in_cny_with_one_line_per_order(
    app, client, placed, stripe_http
):
    token, _ = placed
    response = client.get(f"/payments/{token}/pay")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://checkout.stripe.com/c/pay/cs_test_")
    [sent] = stripe_http.sent("POST", "/v1/checkout/sessions")
    params = {key: values[0] for key, values in sent["params"].items()}
    assert params["mode"] == "payment"
    assert params["currency"] == "cny"
    assert params["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in params
    assert params["client_reference_id"] == token
    orders = orders_of(app, token)
    amounts = sorted(int(params[f"line_items[{i}][price_data][unit_amount]"]) for i in range(2))
    assert amounts == sorted(order.total_fen for order in orders) == [2500, 8780]
    assert all(params[f"line_items[{i}][price_data][currency]"] == "cny" for i in range(2))
    assert any(
        orders[0].number in params[f"line_items[{i}][price_data][product_data][name]"]
        for i in range(2)
    )
    assert int(params["expires_at"]) >= time.time() + 30 * 60
    assert params["success_url"].endswith(f"/checkout/done/{token}")
    assert sent["headers"]["Idempotency-Key"] == f"checkout-{token}"
    assert sent["headers"]["Authorization"] == "Bearer sk_test_51VillageMarketTestKeyNotReal"
    payment = payment_row(app, token)
    assert payment.reference == recording("checkout_session_created")["id"]
    assert payment.gateway == "stripe"


def test_going_back_to_pay_reuses_the_same_session(app, client, placed, stripe_http):
    token, _ = placed
    first = client.get(f"/payments/{token}/pay").headers["Location"]
    second = client.get(f"/payments/{token}/pay").headers["Location"]
    assert first == second
    assert len(stripe_http.sent("POST", "/v1/checkout/sessions")) == 1


def test_only_the_configured_payment_methods_are_offered(app, client, placed, stripe_http):
    app.config["STRIPE_PAYMENT_METHODS"] = ["card", "alipay", "wechat_pay"]
    token, _ = placed
    client.get(f"/payments/{token}/pay")
    params = stripe_http.sent("POST", "/v1/checkout/sessions")[0]["params"]
    methods = [params[f"payment_method_types[{i}]"][0] for i in range(3)]
    assert methods == ["card", "alipay", "wechat_pay"]
    assert params["payment_method_options[wechat_pay][client]"] == ["web"]


def test_the_return_from_stripe_proves_nothing_until_the_webhook_says_paid(app, client, placed):
    token, _ = placed
    client.get(f"/payments/{token}/pay")
    page = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    assert "Waiting for the payment to be confirmed" in page
    assert '<meta http-equiv="refresh" content="5">' in page
    assert {order.status for order in orders_of(app, token)} == {"pending_payment"}
    paid_through_webhook(app, client, token)
    page = client.get(f"/checkout/done/{token}?lang=en").get_data(as_text=True)
    assert "Thank you! Your payment was received." in page


def test_the_page_may_post_to_stripe_checkout(app, client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "form-action 'self' https://checkout.stripe.com" in policy


def test_when_stripe_refuses_the_session_the_order_is_kept_and_the_buyer_told(
    app, client, placed, stripe_http
):
    stripe_http.routes[("POST", "/v1/checkout/sessions")] = [
        (400, recording("error_invalid_request"))
    ]
    token, _ = placed
    response = client.get(f"/payments/{token}/pay?lang=en")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "The payment service could not be reached. Your order is kept" in page
    assert payment_row(app, token).reference is None
    assert {order.status for order in orders_of(app, token)} == {"pending_payment"}


def _seller_refunds(app, login_as, seller, number: str):
    client = login_as(seller)
    return client.post(
        f"/sell/orders/{number}/refund?lang=en",
        data={
            "csrf_token": form_token(client),
            "refund-reason": "梨在路上冻坏了",
            "refund-confirm": "1",
            "refund-expected": "0",
        },
    ), client


def test_a_seller_refunds_an_order_through_stripe(app, client, placed, stripe_http, login_as):
    token, seller = placed
    client.get(f"/payments/{token}/pay")
    paid_through_webhook(app, client, token)
    order = next(order for order in orders_of(app, token) if order.total_fen == 8780)
    _, seller_client = _seller_refunds(app, login_as, seller, order.number)
    [sent] = stripe_http.sent("POST", "/v1/refunds")
    assert sent["params"]["payment_intent"] == ["pi_3QhY7bL2eZvKYlo21m2n3o4p"]
    assert sent["params"]["amount"] == ["8780"]
    assert sent["headers"]["Idempotency-Key"] == f"refund-{order.number}"
    with app.app_context():
        row = db.session.scalar(select(Order).where(Order.number == order.number))
        assert (row.status, row.refunded_fen) == ("refunded", 8780)
        assert row.payment.refunded_fen == 8780
    page = seller_client.get(f"/sell/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "Refunded ¥87.80 to the buyer." in page
    # The other shop's order is untouched: refunds are per order.
    other = next(order for order in orders_of(app, token) if order.total_fen == 2500)
    assert other.status == "paid"


def test_a_refund_stripe_refuses_changes_nothing(app, client, placed, stripe_http, login_as):
    stripe_http.routes[("POST", "/v1/refunds")] = [
        (400, recording("error_charge_already_refunded"))
    ]
    token, seller = placed
    client.get(f"/payments/{token}/pay")
    paid_through_webhook(app, client, token)
    order = next(order for order in orders_of(app, token) if order.total_fen == 8780)
    response, seller_client = _seller_refunds(app, login_as, seller, order.number)
    assert response.status_code == 302
    page = seller_client.get(f"/sell/orders/{order.number}?lang=en").get_data(as_text=True)
    assert "The payment service refused the refund. Nothing was changed" in page
    with app.app_context():
        row = db.session.scalar(select(Order).where(Order.number == order.number))
        assert (row.status, row.refunded_fen) == ("paid", 0)


def test_stripe_is_imported_by_one_module_only():
    root = Path(__file__).resolve().parents[2]
    importers = [
        str(path.relative_to(root))
        for folder in ("shop", "products")
        for path in (root / folder).rglob("*.py")
        if re.search(r"^\s*(import stripe|from stripe)", path.read_text(), re.M)
    ]
    assert importers == ["shop/payments/stripe_gateway.py"]


def test_a_partial_refund_sends_stripe_only_that_amount_each_time_with_its_own_key(
    app, client, placed, stripe_http, login_as
):
    token, seller = placed
    client.get(f"/payments/{token}/pay")
    paid_through_webhook(app, client, token)
    order = next(order for order in orders_of(app, token) if order.total_fen == 8780)
    seller_client = login_as(seller)
    for amount, expected in (("12.34", 0), ("0.66", 1234)):
        seller_client.post(
            f"/sell/orders/{order.number}/refund?lang=en",
            data={
                "csrf_token": form_token(seller_client),
                "refund-reason": "包装破了，少了一些",
                "refund-amount": amount,
                "refund-confirm": "1",
                "refund-expected": str(expected),
            },
        )
    first, second = stripe_http.sent("POST", "/v1/refunds")
    assert (first["params"]["amount"], second["params"]["amount"]) == (["1234"], ["66"])
    assert first["headers"]["Idempotency-Key"] == f"refund-{order.number}"
    assert second["headers"]["Idempotency-Key"] == f"refund-{order.number}-2"
    with app.app_context():
        row = db.session.scalar(select(Order).where(Order.number == order.number))
        assert (row.status, row.refunded_fen, row.payment.refunded_fen) == ("paid", 1300, 1300)
        assert [refund.gateway_refund_id for refund in row.refunds] == [
            recording("refund_succeeded")["id"]
        ] * 2
