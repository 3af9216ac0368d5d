"""Payment pages: send the buyer to the gateway, the sandbox's hosted page, Stripe's webhook."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from shop.extensions import csrf, db
from shop.orders import services as orders
from shop.payments import sandbox_gateway, webhooks
from shop.payments.forms import SandboxCardForm
from shop.payments.gateway import (
    GatewayError,
    InvalidSignature,
    configured_gateway_name,
    gateway_named,
)
from shop.payments.models import Payment, PaymentStatus
from shop.payments.sandbox_gateway import CardOutcome

bp = Blueprint("payments", __name__, url_prefix="/payments")


def _payment_or_404(token: str, gateway: str | None = None) -> Payment:
    payment = orders.payment_by_token(token)
    if payment is None or (gateway and payment.gateway != gateway):
        abort(404)
    return payment


def _done(payment: Payment, **args):
    return redirect(url_for("checkout.done", token=payment.token, **args), code=303)


@bp.get("/<token>/pay")
def pay(token: str):
    """Send the buyer to the payment page of the payment's gateway."""
    payment = _payment_or_404(token)
    if not payment.is_open:
        return _done(payment)
    try:
        url = gateway_named(payment.gateway).checkout_url(
            payment,
            payment.orders,
            success_url=url_for("checkout.done", token=payment.token, _external=True),
            cancel_url=url_for("checkout.done", token=payment.token, cancelled=1, _external=True),
        )
    except GatewayError as error:
        db.session.rollback()
        current_app.logger.warning("Could not start payment %s: %s", payment.id, error)
        flash(
            _(
                "The payment service could not be reached. Your order is kept: try again in a moment."
            ),
            "error",
        )
        return _done(payment)
    db.session.commit()
    return redirect(url, code=303)


def _sandbox_open_or_done(token: str):
    payment = _payment_or_404(token, gateway="sandbox")
    return payment, (None if payment.is_open else _done(payment))


def _declined(payment: Payment):
    """A refused card: back to the card form with the orders kept, until the attempts run out."""
    webhooks.process_event(sandbox_gateway.declined_event(payment))
    db.session.commit()
    if payment.is_open:
        return redirect(url_for("payments.sandbox_checkout", token=payment.token), code=303)
    flash(
        _(
            "Your card was declined again. The orders were cancelled and the items released; nothing was charged."
        ),
        "error",
    )
    return _done(payment)


@bp.route("/sandbox/<token>", methods=["GET", "POST"])
def sandbox_checkout(token: str):
    """The sandbox's hosted-checkout page: a card form that takes only the test numbers."""
    payment, finished = _sandbox_open_or_done(token)
    if finished:
        return finished
    if payment.status == PaymentStatus.REQUIRES_ACTION:
        return redirect(url_for("payments.sandbox_confirm", token=token))
    form = SandboxCardForm()
    refused = False
    if form.validate_on_submit():
        outcome = sandbox_gateway.card_outcome(form.card_number.data)
        # The number is not needed any more: nothing below keeps, logs or shows it.
        form.card_number.data = ""
        if outcome == CardOutcome.PAYS:
            webhooks.process_event(sandbox_gateway.paid_event(payment))
            db.session.commit()
            return _done(payment)
        if outcome == CardOutcome.DECLINED:
            return _declined(payment)
        if outcome == CardOutcome.NEEDS_CONFIRMATION:
            payment.status = PaymentStatus.REQUIRES_ACTION
            db.session.commit()
            return redirect(url_for("payments.sandbox_confirm", token=token), code=303)
        refused = True
    allowed = webhooks.DECLINES_ALLOWED.get(payment.gateway)
    return render_template(
        "payments/sandbox_checkout.html",
        payment=payment,
        form=form,
        refused=refused,
        attempts_left=None if allowed is None else allowed - payment.declines,
    ), (422 if refused else 200)


@bp.route("/sandbox/<token>/confirm", methods=["GET", "POST"])
def sandbox_confirm(token: str):
    """The sandbox's confirmation step (like a bank's 3-D Secure page): complete or fail it."""
    payment, finished = _sandbox_open_or_done(token)
    if finished:
        return finished
    if payment.status != PaymentStatus.REQUIRES_ACTION:
        return redirect(url_for("payments.sandbox_checkout", token=token))
    form = FlaskForm()
    if form.validate_on_submit():
        if request.form.get("action") == "complete":
            webhooks.process_event(sandbox_gateway.paid_event(payment))
            db.session.commit()
        else:
            return _declined(payment)
        return _done(payment)
    return render_template("payments/sandbox_confirm.html", payment=payment, form=form)


@bp.post("/stripe/webhook")
@csrf.exempt  # Stripe cannot send our CSRF token; its signature is checked instead
def stripe_webhook():
    """Stripe's events: verified by signature, each handled once, whatever the delivery order."""
    if configured_gateway_name() != "stripe":
        abort(404)
    payload = request.get_data()
    try:
        event = gateway_named("stripe").parse_webhook(
            payload, request.headers.get("Stripe-Signature")
        )
    except InvalidSignature as error:
        current_app.logger.warning("Refused a Stripe webhook: %s", error)
        return {"error": "invalid signature"}, 400
    try:
        outcome = webhooks.process_event(event)
    except webhooks.EventTooEarly as error:
        db.session.rollback()
        current_app.logger.info("Stripe event %s came early: %s", event.id, error)
        # Stripe sends it again later, after the event this one depends on.
        return {"error": "event arrived before the one it follows; send again later"}, 409
    except GatewayError as error:
        db.session.rollback()
        current_app.logger.warning(
            "Stripe event %s needs a refund that failed: %s", event.id, error
        )
        return {"error": "a refund failed; send again later"}, 503
    db.session.commit()
    return {"received": True, "outcome": outcome}
