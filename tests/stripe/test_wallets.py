"""WeChat Pay and Alipay through Stripe Checkout: offered when configured, and a failed Alipay
payment treated like a declined card (the orders wait for another try until the window ends).

The webhook payloads are made here, in Stripe's shape, and signed as Stripe signs them.
"""

import copy
import json
import time
from datetime import timedelta

import pytest

from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import services as orders
from tests.shopping import add_to_cart, orders_of, payment_token, place_order, stock_of, variant_id
from tests.stripe_fakes import payment_row, post_event, recording, sign

METHODS = ["card", "alipay", "wechat_pay"]


@pytest.fixture
def checkout(app, client, make_product):
    """An unpaid Stripe checkout offering card, Alipay and WeChat Pay, of 2 units of a ¥39.90
    product (stock 5): (payment, variant)."""
    app.config["STRIPE_PAYMENT_METHODS"] = METHODS
    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    client.get(f"/payments/{token}/pay")
    return payment_row(app, token), variant


def _session_payload(
    payment, type_: str, event_id: str, payment_status: str, offered: list[str] = METHODS
) -> str:
    """A Checkout Session event as Stripe posts it, about this payment (offering `offered`)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": int(time.time()),
            "livemode": False,
            "type": type_,
            "data": {
                "object": {
                    "id": payment.reference,
                    "object": "checkout.session",
                    "amount_total": payment.amount_fen,
                    "currency": "cny",
                    "client_reference_id": payment.token,
                    "metadata": {"payment_token": payment.token},
                    "mode": "payment",
                    "payment_intent": "pi_test_alipay_1",
                    "payment_method_types": offered,
                    "payment_status": payment_status,
                    "status": "complete",
                }
            },
        }
    )


def _intent_failed_payload(payment, event_id: str, method: str, code: str) -> str:
    """A payment_intent.payment_failed event as Stripe posts it for a WeChat Pay attempt."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": int(time.time()),
            "livemode": False,
            "type": "payment_intent.payment_failed",
            "data": {
                "object": {
                    "id": "pi_test_wechat_1",
                    "object": "payment_intent",
                    "amount": payment.amount_fen,
                    "currency": "cny",
                    "status": "requires_payment_method",
                    "metadata": {"payment_token": payment.token},
                    "payment_method_types": METHODS,
                    "last_payment_error": {
                        "code": code,
                        "type": "invalid_request_error",
                        "payment_method": {"id": "pm_test_1", "type": method},
                    },
                }
            },
        }
    )


def _deliver(client, payload: str):
    """POST the payload with a Stripe-Signature made from it and our webhook secret."""
    response = post_event(client, payload, signature=sign(payload))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


def test_wechat_pay_and_alipay_are_offered_on_stripe_checkout_when_configured(
    app, client, checkout, stripe_http
):
    params = stripe_http.sent("POST", "/v1/checkout/sessions")[0]["params"]
    assert [params[f"payment_method_types[{i}]"][0] for i in range(3)] == METHODS
    assert params["payment_method_options[wechat_pay][client]"] == ["web"]
    assert params["currency"] == ["cny"]


def test_a_failed_alipay_payment_keeps_the_orders_like_a_declined_card(app, client, checkout):
    payment, variant = checkout
    _deliver(client, _session_payload(payment, "checkout.session.completed", "evt_c", "unpaid"))
    outcome = _deliver(
        client,
        _session_payload(payment, "checkout.session.async_payment_failed", "evt_failed", "unpaid"),
    )
    assert outcome.startswith("declined (1): orders kept")
    order = orders_of(app, payment.token)[0]
    assert (order.status, [event.reason_code for event in order.events]) == (
        "pending_payment",
        ["placed"],
    )
    assert stock_of(app, variant) == 3
    after = payment_row(app, payment.token)
    # Stripe's session does not say which of the two wallets was tried: none is made up.
    assert (after.status, after.declines, after.method) == ("pending", 1, None)
    # The buyer is told, and offered another try rather than a page that waits forever.
    page = client.get(f"/checkout/done/{payment.token}?lang=en").get_data(as_text=True)
    assert "The payment did not go through" in page
    assert "Try again or pay another way" in page
    assert 'http-equiv="refresh"' not in page
    assert "付款没有成功" in client.get(f"/checkout/done/{payment.token}").get_data(as_text=True)


def test_after_a_failed_alipay_payment_the_next_try_gets_a_new_checkout_session(
    app, client, checkout, stripe_http
):
    payment, _ = checkout
    second = copy.deepcopy(recording("checkout_session_created"))
    second.update(id="cs_test_second_try", url="https://checkout.stripe.com/c/pay/cs_test_second")
    stripe_http.routes[("POST", "/v1/checkout/sessions")] = [(200, second)]
    _deliver(
        client,
        _session_payload(payment, "checkout.session.async_payment_failed", "evt_failed", "unpaid"),
    )
    again = client.get(f"/payments/{payment.token}/pay")
    assert again.headers["Location"] == "https://checkout.stripe.com/c/pay/cs_test_second"
    sent = stripe_http.sent("POST", "/v1/checkout/sessions")
    keys = [request["headers"]["Idempotency-Key"] for request in sent]
    assert keys == [f"checkout-{payment.token}", f"checkout-{payment.token}-1"]
    # The new session pays the same orders.
    renewed = payment_row(app, payment.token)
    _deliver(client, _session_payload(renewed, "checkout.session.completed", "evt_paid", "paid"))
    assert [order.status for order in orders_of(app, payment.token)] == ["paid"]


def test_a_failed_alipay_checkout_still_ends_with_the_payment_window(app, client, checkout):
    payment, variant = checkout
    _deliver(
        client,
        _session_payload(payment, "checkout.session.async_payment_failed", "evt_failed", "unpaid"),
    )
    with app.app_context():
        later = utcnow() + orders.RESERVATION_TIME + timedelta(hours=1)
        assert orders.expire_overdue(now=later) == 1
        db.session.commit()
    assert orders_of(app, payment.token)[0].status == "cancelled"
    assert stock_of(app, variant) == 5


def test_a_wechat_pay_code_that_expired_unscanned_keeps_the_orders_and_counts_no_decline(
    app, client, checkout
):
    payment, variant = checkout
    outcome = _deliver(
        client,
        _intent_failed_payload(
            payment, "evt_expired", "wechat_pay", "payment_intent_payment_attempt_expired"
        ),
    )
    assert outcome.startswith("attempt expired: orders kept")
    after = payment_row(app, payment.token)
    assert (after.status, after.declines, after.method) == ("pending", 0, "wechat_pay")
    assert orders_of(app, payment.token)[0].status == "pending_payment"
    assert stock_of(app, variant) == 3


def test_an_alipay_payment_that_arrives_later_records_the_method(app, client, checkout):
    payment, _ = checkout
    _deliver(client, _session_payload(payment, "checkout.session.completed", "evt_c", "unpaid"))
    assert orders_of(app, payment.token)[0].status == "pending_payment"
    # Cards are never paid later: with card and Alipay offered, a later payment is Alipay's.
    _deliver(
        client,
        _session_payload(
            payment,
            "checkout.session.async_payment_succeeded",
            "evt_ok",
            "paid",
            ["card", "alipay"],
        ),
    )
    assert payment_row(app, payment.token).method == "alipay"
    page = client.get(f"/checkout/done/{payment.token}?lang=en").get_data(as_text=True)
    assert "Paid with Alipay." in page
    assert "付款方式：支付宝。" in client.get(f"/checkout/done/{payment.token}").get_data(
        as_text=True
    )
