"""The sandbox gateway: a hosted-checkout-like page taking Stripe's test card numbers only."""

import logging

import pytest
from sqlalchemy import func, select, text

from shop.accounts.models import OutboxMessage
from shop.extensions import db
from shop.payments.models import Payment, WebhookEvent
from tests.forms import form_data, form_on
from tests.shopping import (
    add_to_cart,
    orders_of,
    pay_with_card,
    payment_token,
    place_order,
    stock_of,
    variant_id,
)


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


def test_the_buyer_is_sent_to_the_sandbox_payment_page(app, client, checkout):
    token, _ = checkout
    response = client.get(f"/payments/{token}/pay")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    page = client.get(f"/payments/sandbox/{token}?lang=en").get_data(as_text=True)
    assert "¥79.80" in page
    assert "Practice payment page: no money moves." in page
    assert "4242 4242 4242 4242" in page


def test_4242_pays_and_the_orders_become_paid(app, client, checkout):
    token, variant = checkout
    response = pay_with_card(client, token, "4242 4242 4242 4242")
    assert response.status_code == 303
    done = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Thank you! Your payment was received." in done
    order = orders_of(app, token)[0]
    assert order.status == "paid"
    assert [event.actor_kind for event in order.events] == ["guest", "sandbox"]
    assert _payment(app, token).status == "succeeded"
    assert stock_of(app, variant) == 3
    with app.app_context():
        kinds = set(db.session.scalars(select(OutboxMessage.kind)))
        assert "order_paid" in kinds


def test_a_sandbox_payment_goes_through_the_webhook_event_table(app, client, checkout):
    token, _ = checkout
    pay_with_card(client, token)
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent))
        assert (event.gateway, event.type) == ("sandbox", "checkout.session.completed")
        assert event.outcome.startswith("paid 1 orders")


def test_a_declined_card_stays_on_the_payment_page_with_the_orders_kept(app, client, checkout):
    token, variant = checkout
    response = pay_with_card(client, token, "4000000000000002", lang="en")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    page = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Try another card" in page
    assert "Your card was declined and nothing was charged. Your orders are kept" in page
    assert "4 more tries before the orders are cancelled." in page
    assert "换一张卡再试" in client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert (_payment(app, token).status, _payment(app, token).declines) == ("pending", 1)
    order = orders_of(app, token)[0]
    assert order.status == "pending_payment"
    assert [event.reason_code for event in order.events] == ["placed"]
    assert stock_of(app, variant) == 3


def test_after_a_decline_4242_pays_the_same_orders(app, client, checkout):
    token, variant = checkout
    numbers = [order.number for order in orders_of(app, token)]
    pay_with_card(client, token, "4000 0000 0000 0002")
    response = pay_with_card(client, token, "4242 4242 4242 4242")
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    paid = orders_of(app, token)
    assert [(order.number, order.status) for order in paid] == [(numbers[0], "paid")]
    assert _payment(app, token).status == "succeeded"
    assert stock_of(app, variant) == 3


def test_the_fifth_decline_cancels_the_orders_and_releases_the_stock(app, client, checkout):
    token, variant = checkout
    for _attempt in range(4):
        response = pay_with_card(client, token, "4000000000000002")
        assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    assert orders_of(app, token)[0].status == "pending_payment"
    response = pay_with_card(client, token, "4000000000000002", lang="en")
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    done = client.get(response.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Your card was declined again. The orders were cancelled" in done
    assert "These orders were not paid" in done
    assert _payment(app, token).status == "failed"
    order = orders_of(app, token)[0]
    assert (order.status, order.events[-1].reason_code) == ("cancelled", "payment_failed")
    assert stock_of(app, variant) == 5
    # The buyer puts the items back in the cart to try again.
    again = form_on(done, f"/checkout/done/{token}/again")
    client.post(again.action, data=form_data(again))
    assert "¥79.80" in client.get("/cart").get_data(as_text=True)


def test_a_declined_checkout_still_ends_with_the_payment_window(app, client, checkout):
    from datetime import timedelta

    from shop.models_base import utcnow
    from shop.orders import services as orders

    token, variant = checkout
    pay_with_card(client, token, "4000000000000002")
    with app.app_context():
        later = utcnow() + orders.RESERVATION_TIME + timedelta(minutes=1)
        assert orders.expire_overdue(now=later) == 1
        db.session.commit()
    assert orders_of(app, token)[0].status == "cancelled"
    assert stock_of(app, variant) == 5
    assert client.get(f"/payments/sandbox/{token}").status_code == 303


def test_4000_0025_0000_3155_asks_for_confirmation_then_pays(app, client, checkout):
    token, _ = checkout
    response = pay_with_card(client, token, "4000 0025 0000 3155")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}/confirm")
    assert orders_of(app, token)[0].status == "pending_payment"
    page = client.get(f"/payments/sandbox/{token}/confirm?lang=en").get_data(as_text=True)
    assert "Your bank asks you to confirm a payment of ¥79.80" in page
    # Going back to the card page leads to the confirmation step, not a second charge.
    assert client.get(f"/payments/sandbox/{token}").headers["Location"].endswith("/confirm")
    confirm = f"/payments/sandbox/{token}/confirm"
    form = form_on(page, confirm, confirm)
    client.post(form.action or confirm, data=form_data(form, button=("action", "complete")))
    assert orders_of(app, token)[0].status == "paid"


def test_failing_the_confirmation_step_leads_back_to_the_card_form(app, client, checkout):
    token, variant = checkout
    pay_with_card(client, token, "4000002500003155")
    confirm = f"/payments/sandbox/{token}/confirm"
    form = form_on(client.get(confirm).get_data(as_text=True), confirm, confirm)
    response = client.post(form.action or confirm, data=form_data(form, button=("action", "fail")))
    assert response.headers["Location"].endswith(f"/payments/sandbox/{token}")
    assert "换一张卡再试" in client.get(f"/payments/sandbox/{token}").get_data(as_text=True)
    assert orders_of(app, token)[0].status == "pending_payment"
    assert stock_of(app, variant) == 3
    pay_with_card(client, token, "4242424242424242")
    assert orders_of(app, token)[0].status == "paid"


@pytest.mark.parametrize(
    "number", ["4111 1111 1111 1111", "6222 0212 3456 7890", "1234", "4242 4242 4242 4241"]
)
def test_any_other_number_is_refused_and_never_shown_again(app, client, checkout, number):
    token, variant = checkout
    response = pay_with_card(client, token, number)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    english = pay_with_card(client, token, number, lang="en").get_data(as_text=True)
    assert "only the test card numbers" in english
    assert number not in page and number.replace(" ", "") not in page
    assert orders_of(app, token)[0].status == "pending_payment"
    assert _payment(app, token).status == "pending"
    assert stock_of(app, variant) == 3


def test_a_paid_checkout_cannot_be_paid_again(app, client, checkout):
    token, _ = checkout
    path = f"/payments/sandbox/{token}"
    form = form_on(client.get(path).get_data(as_text=True), path, path)
    card_form = form_data(
        form,
        {
            "card_number": "4242 4242 4242 4242",
            "expiry": "12/34",
            "cvc": "123",
            "cardholder": "WANG XIAOMING",
        },
    )
    # The buyer taps Pay, then goes back and taps it again on the same page.
    first = client.post(f"/payments/sandbox/{token}", data=card_form)
    second = client.post(f"/payments/sandbox/{token}", data=card_form)
    assert first.status_code in (302, 303) and second.status_code in (302, 303)
    assert second.headers["Location"].endswith(f"/checkout/done/{token}")
    response = client.get(f"/payments/sandbox/{token}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkout/done/{token}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_an_unknown_payment_page_is_a_404(client):
    assert client.get("/payments/sandbox/not-a-token").status_code == 404
    assert client.get("/payments/not-a-token/pay").status_code == 404


def _all_text_in_the_database(app) -> str:
    """Every value of every table, as text."""
    chunks = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')):
                chunks.extend(str(value) for value in row)
    return "\n".join(chunks)


def test_no_card_number_is_ever_stored_or_logged(app, make_product, caplog):
    caplog.set_level(logging.DEBUG)
    cards = [
        "4242 4242 4242 4242",
        "4000 0000 0000 0002",
        "4000 0025 0000 3155",
        "5555 6666 7777 8884",
    ]
    cookies = []
    for card in cards:
        client = app.test_client()
        add_to_cart(client, variant_id(app, make_product()), 1)
        token = payment_token(place_order(client))
        pay_with_card(client, token, card)
        session_cookie = client.get_cookie("session")
        session = app.session_interface.get_signing_serializer(app).loads(session_cookie.value)
        cookies.extend([session_cookie.value, repr(session), client.get_cookie("vm_cart").value])
    stored = _all_text_in_the_database(app)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for card in cards:
        digits = card.replace(" ", "")
        for haystack in (stored, logged, "\n".join(cookies)):
            assert digits not in haystack
            assert card not in haystack
            assert digits[-8:] not in haystack
