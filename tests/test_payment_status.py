"""A payment's status moves only through Payment.set_status, which keeps their history."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.checkout.payment_events import process_event
from shop.extensions import db
from shop.models_base import utcnow
from shop.orders import services as orders
from shop.payments.gateway import EventKind
from shop.payments.models import (
    ALLOWED_TRANSITIONS,
    InvalidPaymentTransition,
    Payment,
    PaymentStatus,
    PaymentStatusChange,
)
from shop.payments.sandbox_gateway import new_event, paid_event
from tests.forms import form_data, form_on, submit
from tests.shopping import add_to_cart, pay_with_card, payment_token, place_order, variant_id


@pytest.fixture
def checkout(app, client, make_product):
    """A placed, unpaid checkout's payment token."""
    variant = variant_id(app, make_product(stock=5, price_fen=3990))
    add_to_cart(client, variant, 2)
    return payment_token(place_order(client))


def _payment(token: str) -> Payment:
    return db.session.scalar(select(Payment).where(Payment.token == token))


def _history(app, token: str) -> list[tuple[str, str, str, str]]:
    """The payment's status moves, fresh from the database: (from, to, actor kind, code)."""
    with app.app_context():
        return [
            (change.from_status, change.to_status, change.actor_kind, change.code)
            for change in db.session.scalars(
                select(PaymentStatusChange)
                .join(Payment)
                .where(Payment.token == token)
                .order_by(PaymentStatusChange.id)
            )
        ]


def _confirm(client, token: str, action: str):
    confirm = f"/payments/sandbox/{token}/confirm"
    form = form_on(client.get(confirm).get_data(as_text=True), confirm, confirm)
    return client.post(form.action or confirm, data=form_data(form, button=("action", action)))


def test_every_status_has_its_allowed_moves_and_none_to_itself():
    assert set(ALLOWED_TRANSITIONS) == set(PaymentStatus.ALL)
    for status, allowed in ALLOWED_TRANSITIONS.items():
        assert status not in allowed
    assert ALLOWED_TRANSITIONS[PaymentStatus.SUCCEEDED] == frozenset()


def test_a_confirmed_card_records_each_move_with_who_and_why(app, client, checkout):
    pay_with_card(client, checkout, "4000 0025 0000 3155")
    _confirm(client, checkout, "complete")
    assert _history(app, checkout) == [
        ("pending", "requires_action", "sandbox", "card_confirmation"),
        ("requires_action", "succeeded", "sandbox", "paid"),
    ]
    with app.app_context():
        assert _payment(checkout).status == "succeeded"


def test_a_failed_confirmation_goes_back_to_pending_in_the_history(app, client, checkout):
    pay_with_card(client, checkout, "4000002500003155")
    _confirm(client, checkout, "fail")
    assert _history(app, checkout) == [
        ("pending", "requires_action", "sandbox", "card_confirmation"),
        ("requires_action", "pending", "sandbox", "declined"),
    ]


def test_a_decline_while_already_pending_adds_no_history(app, client, checkout):
    pay_with_card(client, checkout, "4000000000000002")
    with app.app_context():
        payment = _payment(checkout)
        assert (payment.status, payment.declines) == ("pending", 1)
    assert _history(app, checkout) == []


def test_a_refused_move_raises_and_changes_nothing(app, client, checkout):
    pay_with_card(client, checkout)
    with app.app_context():
        payment = _payment(checkout)
        with pytest.raises(InvalidPaymentTransition) as refused:
            payment.set_status(PaymentStatus.CANCELLED, "buyer", code="buyer_cancelled")
        assert (refused.value.current, refused.value.wanted) == ("succeeded", "cancelled")
        assert payment.status == "succeeded"
        assert db.session.scalar(select(func.count(PaymentStatusChange.id))) == 1
        assert db.session.scalar(select(Payment.status).where(Payment.id == payment.id)) == (
            "succeeded"
        )
        db.session.rollback()
    assert _history(app, checkout) == [("pending", "succeeded", "sandbox", "paid")]


def test_a_move_someone_else_made_first_is_refused_not_overwritten(app, client, checkout):
    with app.app_context():
        payment = _payment(checkout)
        assert payment.status == "pending"
        # Another request moves it meanwhile; this one still holds the old status.
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(status=PaymentStatus.SUCCEEDED)
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(InvalidPaymentTransition):
            payment.set_status(PaymentStatus.EXPIRED, "system", code="expired")
        assert payment.status == "succeeded"
        assert db.session.scalar(select(func.count(PaymentStatusChange.id))) == 0
        db.session.rollback()


def test_an_unknown_actor_is_refused(app, client, checkout):
    with app.app_context():
        payment = _payment(checkout)
        with pytest.raises(ValueError, match="unknown actor"):
            payment.set_status(PaymentStatus.CANCELLED, "somebody")
        assert payment.status == "pending"


def test_a_replayed_or_late_event_adds_no_history(app, client, checkout):
    pay_with_card(client, checkout)
    with app.app_context():
        payment = _payment(checkout)
        assert process_event(paid_event(payment)) == "duplicate: already handled"
        again = new_event(payment, EventKind.SUCCEEDED, "checkout.session.completed")
        assert process_event(again) == "already paid"
        late = new_event(payment, EventKind.EXPIRED, "checkout.session.expired")
        assert process_event(late) == "ignored: payment already succeeded"
        db.session.commit()
    assert _history(app, checkout) == [("pending", "succeeded", "sandbox", "paid")]


def test_the_buyer_cancelling_records_who_cancelled(app, client, checkout):
    submit(client, f"/checkout/done/{checkout}", f"/checkout/done/{checkout}/cancel")
    assert _history(app, checkout) == [("pending", "cancelled", "guest", "buyer_cancelled")]


def test_expiry_and_a_late_payment_are_both_in_the_history(app, client, checkout):
    with app.app_context():
        assert orders.expire_overdue(now=utcnow() + timedelta(hours=1)) == 1
        db.session.commit()
        process_event(paid_event(_payment(checkout)))
        db.session.commit()
    assert _history(app, checkout) == [
        ("pending", "expired", "system", "expired"),
        ("expired", "succeeded", "sandbox", "paid"),
    ]


def test_the_same_move_made_first_by_someone_else_is_a_no_op(app, client, checkout):
    with app.app_context():
        payment = _payment(checkout)
        # A second tap of Cancel: the first already cancelled; this one still reads pending.
        db.session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(status=PaymentStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
        assert payment.set_status(PaymentStatus.CANCELLED, "guest", code="buyer_cancelled") is None
        assert payment.status == "cancelled"
        assert db.session.scalar(select(func.count(PaymentStatusChange.id))) == 0
        db.session.rollback()
