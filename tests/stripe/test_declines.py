"""A card Stripe declines leaves the checkout open: the same orders wait for another card.

Payloads are recorded Stripe events (payment_intent.payment_failed as Checkout's page causes
it), signed here as Stripe signs them.
"""

import copy
import json
from datetime import timedelta

import pytest

from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import services as orders
from tests.shopping import add_to_cart, orders_of, payment_token, place_order, stock_of, variant_id
from tests.stripe_fakes import payment_row, post_event, recording, session_event


@pytest.fixture
def checkout(app, client, make_product):
    """An unpaid Stripe checkout of 2 units of a ¥39.90 product (stock 5): (payment, variant)."""
    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    client.get(f"/payments/{token}/pay")
    return payment_row(app, token), variant


def declined_event(payment, number: int = 1) -> str:
    """A recorded payment_intent.payment_failed about this payment's PaymentIntent."""
    event = copy.deepcopy(recording("event_payment_intent_payment_failed"))
    event["id"] = f"evt_test_declined_{payment.id}_{number}"
    intent = event["data"]["object"]
    intent.update(amount=payment.amount_fen, metadata={"payment_token": payment.token})
    return json.dumps(event)


def test_a_declined_card_keeps_the_orders_and_their_stock(app, client, checkout):
    payment, variant = checkout
    response = post_event(client, declined_event(payment))
    assert response.status_code == 200
    assert "orders kept" in response.get_json()["outcome"]
    order = orders_of(app, payment.token)[0]
    assert order.status == "pending_payment"
    assert stock_of(app, variant) == 3
    after = payment_row(app, payment.token)
    assert (after.status, after.declines) == ("pending", 1)


def test_after_a_decline_the_buyer_is_offered_another_card_on_the_same_session(
    app, client, checkout, stripe_http
):
    payment, _ = checkout
    post_event(client, declined_event(payment))
    page = client.get(f"/checkout/done/{payment.token}?cancelled=1&lang=en").get_data(as_text=True)
    assert "Your card was declined" in page
    assert "Try another card" in page
    chinese = client.get(f"/checkout/done/{payment.token}?cancelled=1").get_data(as_text=True)
    assert "换一张卡再试" in chinese
    again = client.get(f"/payments/{payment.token}/pay")
    assert again.headers["Location"] == payment_row(app, payment.token).checkout_url
    assert len(stripe_http.sent("POST", "/v1/checkout/sessions")) == 1


def test_the_next_card_pays_the_same_orders(app, client, checkout):
    payment, variant = checkout
    numbers = [order.number for order in orders_of(app, payment.token)]
    post_event(client, declined_event(payment))
    post_event(client, session_event(payment, event_id="evt_test_paid_after_decline"))
    paid = orders_of(app, payment.token)
    assert [order.number for order in paid] == numbers
    assert [order.status for order in paid] == ["paid"]
    assert stock_of(app, variant) == 3


def test_declines_on_stripe_page_are_bounded_by_the_session_not_cancelled_early(
    app, client, checkout
):
    """Stripe's page keeps taking cards; the reservation's end, not a count, closes it."""
    payment, variant = checkout
    for number in range(1, 8):
        post_event(client, declined_event(payment, number))
    assert orders_of(app, payment.token)[0].status == "pending_payment"
    assert payment_row(app, payment.token).declines == 7
    with app.app_context():
        later = utcnow() + orders.RESERVATION_TIME + timedelta(hours=1)
        assert orders.expire_overdue(now=later) == 1
        db.session.commit()
    assert orders_of(app, payment.token)[0].status == "cancelled"
    assert stock_of(app, variant) == 5


def test_a_replayed_decline_counts_once(app, client, checkout):
    payment, _ = checkout
    payload = declined_event(payment)
    post_event(client, payload)
    assert post_event(client, payload).get_json()["outcome"].startswith("duplicate")
    assert payment_row(app, payment.token).declines == 1


def test_a_decline_after_the_payment_changes_nothing(app, client, checkout):
    payment, variant = checkout
    post_event(client, session_event(payment))
    response = post_event(client, declined_event(payment))
    assert response.get_json()["outcome"] == "ignored: payment already succeeded"
    assert orders_of(app, payment.token)[0].status == "paid"
    assert payment_row(app, payment.token).declines == 0
