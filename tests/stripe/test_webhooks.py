"""Stripe's webhook: signatures, replays, duplicates racing, and events out of order.

Payloads are recorded Stripe events, signed here as Stripe signs them.
"""

import copy
import json
import threading
import time

import pytest
from sqlalchemy import func, select

from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.orders.models import OrderEvent
from shop.payments.models import WebhookEvent
from tests.helpers import build_app, reset_database
from tests.shopping import add_to_cart, orders_of, payment_token, place_order, stock_of, variant_id
from tests.stripe_fakes import (
    payment_row,
    post_event,
    recording,
    refund_event,
    session_event,
    sign,
)


@pytest.fixture
def checkout(app, client, make_product):
    """An unpaid Stripe checkout of 2 units of a ¥39.90 product (stock 5): (payment, variant)."""
    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    token = payment_token(place_order(client))
    client.get(f"/payments/{token}/pay")
    return payment_row(app, token), variant


def _count(app, model, *conditions) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def _status(app, payment) -> str:
    return orders_of(app, payment.token)[0].status


def test_a_signed_completed_event_marks_the_orders_paid(app, client, checkout):
    payment, _ = checkout
    response = post_event(client, session_event(payment))
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("paid 1 orders")
    order = orders_of(app, payment.token)[0]
    assert order.status == "paid"
    assert order.events[-1].actor_kind == "stripe"
    after = payment_row(app, payment.token)
    assert (after.status, after.payment_intent) == ("succeeded", "pi_3QhY7bL2eZvKYlo21m2n3o4p")


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "t=1795860300,v1=" + "0" * 64,  # wrong
        "garbage",
        "SIGN_WITH_ANOTHER_SECRET",
        "SIGN_TEN_MINUTES_AGO",  # a replay of an old, once valid delivery
    ],
)
def test_a_bad_or_old_signature_is_a_400_and_changes_nothing(app, client, checkout, signature):
    payment, _ = checkout
    payload = session_event(payment)
    if signature == "SIGN_WITH_ANOTHER_SECRET":
        signature = sign(payload, secret="whsec_someone_else")
    elif signature == "SIGN_TEN_MINUTES_AGO":
        signature = sign(payload, timestamp=int(time.time()) - 600)
    headers = {"Content-Type": "application/json"}
    if signature:
        headers["Stripe-Signature"] = signature
    response = client.post("/payments/stripe/webhook", data=payload, headers=headers)
    assert response.status_code == 400
    assert _status(app, payment) == "pending_payment"
    assert _count(app, WebhookEvent) == 0


def test_a_payload_changed_after_signing_is_refused(app, client, checkout):
    payment, _ = checkout
    payload = session_event(payment)
    tampered = payload.replace('"amount_total": 7980', '"amount_total": 1')
    assert tampered != payload
    response = post_event(client, tampered, signature=sign(payload))
    assert response.status_code == 400
    assert _status(app, payment) == "pending_payment"


def test_a_replayed_event_is_a_no_op(app, client, checkout):
    payment, _ = checkout
    payload = session_event(payment)
    assert post_event(client, payload).status_code == 200
    again = post_event(client, payload)
    assert again.status_code == 200
    assert again.get_json()["outcome"].startswith("duplicate")
    assert _count(app, WebhookEvent) == 1
    assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1
    assert (
        _count(app, OutboxMessage, OutboxMessage.kind == "order_paid") == 2
    )  # buyer + seller, once


def test_two_deliveries_racing_are_handled_once(app, checkout):
    payment, _ = checkout
    payload = session_event(payment)
    start = threading.Barrier(4)
    codes = []

    def deliver():
        client = app.test_client()
        start.wait()
        codes.append(post_event(client, payload).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 4
    assert _count(app, WebhookEvent) == 1
    assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1


def test_the_same_payment_reported_twice_by_different_events_pays_once(app, client, checkout):
    payment, _ = checkout
    post_event(client, session_event(payment, event_id="evt_completed"))
    second = post_event(
        client,
        session_event(payment, "checkout.session.async_payment_succeeded", event_id="evt_async"),
    )
    assert second.get_json()["outcome"] == "already paid"
    assert _count(app, OrderEvent, OrderEvent.to_status == "paid") == 1


def test_a_completed_checkout_still_waiting_for_alipay_stays_unpaid(app, client, checkout):
    payment, _ = checkout
    response = post_event(client, session_event(payment, payment_status="unpaid"))
    assert response.get_json()["outcome"] == "waiting"
    assert _status(app, payment) == "pending_payment"
    post_event(
        client,
        session_event(payment, "checkout.session.async_payment_succeeded", event_id="evt_async_ok"),
    )
    assert _status(app, payment) == "paid"


def test_an_expired_session_cancels_and_releases_the_stock(app, client, checkout):
    payment, variant = checkout
    post_event(client, session_event(payment, "checkout.session.expired"))
    assert _status(app, payment) == "cancelled"
    assert stock_of(app, variant) == 5


def test_expired_arriving_after_completed_leaves_the_order_paid(app, client, checkout):
    payment, variant = checkout
    post_event(client, session_event(payment))
    response = post_event(client, session_event(payment, "checkout.session.expired"))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored: payment already succeeded"
    assert _status(app, payment) == "paid"
    assert stock_of(app, variant) == 3


def test_a_payment_after_expiry_is_refunded_automatically(app, client, checkout, stripe_http):
    payment, variant = checkout
    post_event(client, session_event(payment, "checkout.session.expired"))
    assert stock_of(app, variant) == 5
    response = post_event(client, session_event(payment))
    assert response.status_code == 200
    order = orders_of(app, payment.token)[0]
    assert order.status == "cancelled"
    assert order.refunded_fen == order.total_fen == 7980
    assert order.events[-1].reason_code == "late_payment_refunded"
    [refund] = stripe_http.sent("POST", "/v1/refunds")
    assert refund["params"]["amount"] == ["7980"]
    assert refund["headers"]["Idempotency-Key"] == f"late-{order.number}"
    assert stock_of(app, variant) == 5


def test_a_refund_event_before_the_payment_event_is_sent_back_for_later(app, client, checkout):
    payment, _ = checkout
    refund = refund_event(payment, refunded_fen=7980, event_id="evt_refund_early")
    early = post_event(client, refund)
    assert early.status_code == 409
    assert _count(app, WebhookEvent) == 0
    post_event(client, session_event(payment))
    # Stripe delivers the refund again later: now it applies.
    assert post_event(client, refund).status_code == 200
    assert _status(app, payment) == "refunded"


def test_a_full_refund_made_in_the_stripe_dashboard_refunds_the_orders(app, client, checkout):
    payment, variant = checkout
    post_event(client, session_event(payment))
    post_event(client, refund_event(payment, refunded_fen=7980))
    order = orders_of(app, payment.token)[0]
    assert (order.status, order.refunded_fen) == ("refunded", 7980)
    assert order.events[-1].reason_code == "refunded_at_gateway"
    assert stock_of(app, variant) == 5  # it had not shipped
    assert payment_row(app, payment.token).refunded_fen == 7980


def test_a_partial_dashboard_refund_is_noted_without_changing_orders(app, client, checkout):
    payment, _ = checkout
    post_event(client, session_event(payment))
    response = post_event(client, refund_event(payment, refunded_fen=1000))
    assert response.get_json()["outcome"] == "partial refund noted"
    assert _status(app, payment) == "paid"
    assert payment_row(app, payment.token).refunded_fen == 1000


def test_a_refund_event_for_our_own_refund_changes_nothing_more(
    app, client, checkout, login_as, make_user
):
    payment, _ = checkout
    post_event(client, session_event(payment))
    with app.app_context():
        from shop.orders import services
        from shop.orders.models import Order

        order = db.session.scalar(select(Order))
        services.refund_order(order, make_user("organizer"), "duplicate order")
        db.session.commit()
    response = post_event(client, refund_event(payment, refunded_fen=7980))
    assert response.get_json()["outcome"] == "refund already recorded"
    assert _count(app, OrderEvent, OrderEvent.to_status == "refunded") == 1


def test_an_amount_that_does_not_match_is_not_marked_paid(app, client, checkout):
    payment, _ = checkout
    response = post_event(client, session_event(payment, amount_total=1))
    assert response.get_json()["outcome"] == "amount mismatch: not marked paid"
    assert _status(app, payment) == "pending_payment"


def test_events_about_other_things_are_acknowledged_and_ignored(app, client, checkout):
    payment, _ = checkout
    other = session_event(payment).replace(
        '"type": "checkout.session.completed"', '"type": "customer.created"'
    )
    response = post_event(client, other)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    assert _status(app, payment) == "pending_payment"


def test_a_session_that_is_not_ours_is_ignored(app, client, checkout):
    payment, _ = checkout
    foreign = session_event(payment, client_reference_id="someone-else", id="cs_test_other")
    assert post_event(client, foreign).get_json()["outcome"] == "ignored: not one of our payments"
    assert _status(app, payment) == "pending_payment"


def test_the_webhook_is_not_there_without_stripe(tmp_path, postgres_schema):
    app = build_app(tmp_path / "plain")
    with app.app_context():
        reset_database()
    client = app.test_client()
    payload = '{"id": "evt_1", "type": "checkout.session.completed"}'
    response = client.post(
        "/payments/stripe/webhook", data=payload, headers={"Stripe-Signature": sign(payload)}
    )
    assert response.status_code == 404
    with app.app_context():
        db.engine.dispose()


def test_a_refund_event_without_an_amount_records_no_money(app, client, checkout):
    payment, _ = checkout
    post_event(client, session_event(payment))
    event = json.loads(refund_event(payment, refunded_fen=0, event_id="evt_refund_no_amount"))
    del event["data"]["object"]["amount_refunded"]
    response = post_event(client, json.dumps(event))
    assert response.get_json()["outcome"] == "refund already recorded"
    assert _status(app, payment) == "paid"
    assert payment_row(app, payment.token).refunded_fen == 0


def test_the_right_sum_in_another_currency_is_not_marked_paid(app, client, checkout, caplog):
    payment, _ = checkout
    response = post_event(client, session_event(payment, currency="usd"))
    assert response.get_json()["outcome"] == "amount mismatch: not marked paid"
    assert _status(app, payment) == "pending_payment"
    # A person must look: the log names the payment, the event and both sums.
    expected = (
        f"Payment {payment.id}: event evt_test_checkout_session_completed_{payment.id} "
        "reports 7980 USD, expected 7980 CNY"
    )
    assert expected in [record.getMessage() for record in caplog.records]


def test_a_completed_event_that_names_no_currency_is_taken_as_yuan(app, client, checkout):
    payment, _ = checkout
    response = post_event(client, session_event(payment, currency=None))
    assert response.get_json()["outcome"].startswith("paid 1 orders")
    assert _status(app, payment) == "paid"


def test_an_event_naming_only_the_checkout_session_finds_the_payment(app, client, checkout):
    payment, _ = checkout
    bare = session_event(payment, client_reference_id=None, metadata={})
    assert post_event(client, bare).get_json()["outcome"].startswith("paid 1 orders")
    assert _status(app, payment) == "paid"


def test_a_refund_event_naming_only_the_payment_intent_finds_the_payment(app, client, checkout):
    payment, _ = checkout
    post_event(client, session_event(payment))
    intent = payment_row(app, payment.token).payment_intent
    event = json.loads(refund_event(payment, refunded_fen=7980))
    event["data"]["object"].update(metadata={}, payment_intent=intent)
    assert post_event(client, json.dumps(event)).get_json()["outcome"] == "refunded 1 orders"
    assert _status(app, payment) == "refunded"


def test_a_late_payment_for_two_expired_orders_refunds_both(
    app, client, make_shop, make_product, stripe_http
):
    for _ in range(2):
        add_to_cart(client, variant_id(app, make_product(shop=make_shop(), price_fen=3990)), 1)
    token = payment_token(place_order(client))
    client.get(f"/payments/{token}/pay")
    payment = payment_row(app, token)
    post_event(client, session_event(payment, "checkout.session.expired"))
    response = post_event(client, session_event(payment))
    placed = orders_of(app, token)
    assert [order.status for order in placed] == ["cancelled", "cancelled"]
    refunded = sum(order.refunded_fen for order in placed)
    assert refunded == payment.amount_fen
    assert response.get_json()["outcome"] == (
        f"paid 0 orders; refunded {refunded} fen of cancelled ones"
    )
    assert len(stripe_http.sent("POST", "/v1/refunds")) == 2


def test_a_refund_event_refunds_its_own_payment_and_no_other(
    app, client, checkout, make_product, stripe_http
):
    payment, _ = checkout
    post_event(client, session_event(payment, payment_intent="pi_first"))
    # Stripe opens the second buyer's checkout as a session of its own.
    session = copy.deepcopy(recording("checkout_session_created"))
    session["id"] = "cs_test_second"
    stripe_http.routes.pop(("POST", "/v1/checkout/sessions"))
    stripe_http.answer("POST", "/v1/checkout/sessions", session)
    other = app.test_client()
    add_to_cart(other, variant_id(app, make_product(stock=5, price_fen=3990)), 2)
    token = payment_token(place_order(other))
    other.get(f"/payments/{token}/pay")
    second = payment_row(app, token)
    post_event(other, session_event(second, payment_intent="pi_second"))
    event = json.loads(refund_event(second, refunded_fen=second.amount_fen))
    event["data"]["object"]["payment_intent"] = "pi_second"
    assert post_event(other, json.dumps(event)).get_json()["outcome"] == "refunded 1 orders"
    assert (_status(app, payment), _status(app, second)) == ("paid", "refunded")


def test_an_expired_session_says_so_in_the_orders_history(app, client, checkout):
    payment, _ = checkout
    post_event(client, session_event(payment, "checkout.session.expired"))
    order = orders_of(app, payment.token)[0]
    assert (order.status, order.events[-1].reason_code) == ("cancelled", "expired")
