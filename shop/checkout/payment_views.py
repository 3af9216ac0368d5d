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
from markupsafe import Markup
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.interfaces import LoaderOption

from products.images import qr_svg
from shop.checkout import payment_events
from shop.checkout.payment_forms import QrChoiceForm, QrScanForm, SandboxCardForm
from shop.extensions import csrf, db
from shop.orders import services as orders
from shop.payments import sandbox_gateway
from shop.payments import services as payments
from shop.payments.gateway import (
    GatewayError,
    InvalidSignature,
    configured_gateway_name,
    gateway_named,
)
from shop.payments.models import Payment, PaymentMethod, PaymentStatus
from shop.payments.sandbox_gateway import CardOutcome
from shop.templating import localtime

bp = Blueprint("payments", __name__, url_prefix="/payments")


#: Payment tokens are 32 URL-safe characters; anything else is not one (and never reaches SQL).
_TOKEN_LENGTH = 64


def _payment_or_404(token: str, gateway: str | None = None, *options: LoaderOption) -> Payment:
    """The payment of the token, its orders loaded as `options` say (default: with their shops)."""
    if len(token) > _TOKEN_LENGTH or "\x00" in token:
        abort(404)
    payment = payments.payment_by_token(token, *(options or (orders.ORDERS_WITH_SHOPS,)))
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


def _sandbox_open_or_done(token: str, *options: LoaderOption):
    payment = _payment_or_404(token, "sandbox", *options)
    return payment, (None if payment.is_open else _done(payment))


def _to_checkout(payment: Payment):
    return redirect(url_for("payments.sandbox_checkout", token=payment.token), code=303)


def _declined(payment: Payment):
    """A refused attempt: back to the payment page with the orders kept, until attempts run out."""
    payment_events.process_event(sandbox_gateway.declined_event(payment))
    db.session.commit()
    return _after_decline(payment)


def _after_decline(payment: Payment):
    """Back to the payment page while attempts are left, else to the cancelled checkout."""
    if payment.is_open:
        return _to_checkout(payment)
    if payment.method in PaymentMethod.QR:
        message = _(
            "The payment failed again. The orders were cancelled and the items released; nothing was charged."
        )
    else:
        message = _(
            "Your card was declined again. The orders were cancelled and the items released; nothing was charged."
        )
    flash(message, "error")
    return _done(payment)


def _hold(payment: Payment) -> Payment:
    """The payment locked and read again (see payments.hold_payment)."""
    return payments.hold_payment(payment.id, orders.ORDERS_WITH_LINES)


def _waiting_for_card_confirmation(payment: Payment) -> bool:
    """The 3-D Secure-like step of a card is waiting (payments from before methods were noted
    had only cards)."""
    return (
        payment.status == PaymentStatus.REQUIRES_ACTION and payment.method not in PaymentMethod.QR
    )


@bp.route("/sandbox/<token>", methods=["GET", "POST"])
def sandbox_checkout(token: str):
    """The sandbox's hosted-checkout page: a card form that takes only the test numbers."""
    # A posted card is tried under the payment's lock, which loads the orders with their lines:
    # loading them with their shops first, as the page does, would be two statements for
    # nothing. A page shown again (a refused number) loads them when it prints them.
    loads = (lazyload(Payment.orders),) if request.method == "POST" else ()
    payment, finished = _sandbox_open_or_done(token, *loads)
    if finished:
        return finished
    if _waiting_for_card_confirmation(payment):
        return redirect(url_for("payments.sandbox_confirm", token=token))
    form = SandboxCardForm()
    refused = False
    if form.validate_on_submit():
        outcome = sandbox_gateway.card_outcome(form.card_number.data)
        # The number is not needed any more: nothing below keeps, logs or shows it.
        form.card_number.data = ""
        if outcome != CardOutcome.REFUSED:
            payment_events.pay_with_sandbox_card(payment, outcome)
            db.session.commit()
            if outcome == CardOutcome.DECLINED:
                return _after_decline(payment)
            if outcome == CardOutcome.NEEDS_CONFIRMATION:
                return redirect(url_for("payments.sandbox_confirm", token=token), code=303)
            # By the token of the address: the committed payment is not read again for it.
            return redirect(url_for("checkout.done", token=token), code=303)
        refused = True
    allowed = payment_events.DECLINES_ALLOWED.get(payment.gateway)
    return render_template(
        "payments/sandbox_checkout.html",
        payment=payment,
        form=form,
        qr_form=QrChoiceForm(formdata=None),
        refused=refused,
        attempts_left=None if allowed is None else allowed - payment.declines,
    ), (422 if refused else 200)


@bp.post("/sandbox/<token>/qr")
def sandbox_choose_qr(token: str):
    """The buyer chooses WeChat Pay or Alipay: the payment waits for the scan of its QR code."""
    payment, finished = _sandbox_open_or_done(token)
    if finished:
        return finished
    form = QrChoiceForm()
    if not form.validate_on_submit():
        flash(_("Choose WeChat Pay or Alipay, or pay with a card."), "error")
        return _to_checkout(payment)
    payment = _hold(payment)
    if not payment.is_open:
        db.session.commit()
        return _done(payment)
    if _waiting_for_card_confirmation(payment):
        db.session.commit()
        return redirect(url_for("payments.sandbox_confirm", token=token), code=303)
    sandbox_gateway.start_qr_attempt(payment, form.method.data)
    db.session.commit()
    return redirect(url_for("payments.sandbox_qr", token=token, method=form.method.data), code=303)


@bp.route("/sandbox/<token>/qr/<method>", methods=["GET", "POST"])
def sandbox_qr(token: str, method: str):
    """The QR code to scan with WeChat or Alipay; the trainee chooses what the scan does.

    Each outcome is the event Stripe sends for these methods, handled like a webhook: paid
    (checkout.session.completed), failed (a refused attempt, counted like a declined card) or
    timed out (the code expired unscanned: that attempt ends, the orders stay reserved).
    """
    if method not in PaymentMethod.QR:
        abort(404)
    payment, finished = _sandbox_open_or_done(token)
    if finished:
        return finished
    if payment.status != PaymentStatus.REQUIRES_ACTION or payment.method != method:
        return _to_checkout(payment)
    form = QrScanForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _qr_page(payment, form, problem=True), 400
        payment = _hold(payment)
        if payment.status != PaymentStatus.REQUIRES_ACTION or payment.method != method:
            # A second tap, or another tab, after the first moved the payment on.
            db.session.commit()
            return _to_checkout(payment) if payment.is_open else _done(payment)
        payment_events.process_event(sandbox_gateway.qr_scan_event(payment, form.action.data))
        db.session.commit()
        if form.action.data == "paid":
            return _done(payment)
        if form.action.data == "failed":
            return _after_decline(payment)
        flash(
            _(
                "The QR code expired before it was paid. Nothing was charged. Your orders are kept until %(time)s (Beijing time): show a new code or pay another way.",
                time=localtime(payment.expires_at),
            ),
            "error",
        )
        return _to_checkout(payment)
    return _qr_page(payment, form)


def _qr_page(payment: Payment, form: QrScanForm, problem: bool = False) -> str:
    return render_template(
        "payments/sandbox_qr.html",
        payment=payment,
        form=form,
        problem=problem,
        # qrcode writes the SVG from our own address alone: nothing a visitor typed goes in.
        qr_code=Markup(qr_svg(sandbox_gateway.qr_address(payment))),  # noqa: S704
    )


@bp.route("/sandbox/<token>/confirm", methods=["GET", "POST"])
def sandbox_confirm(token: str):
    """The sandbox's confirmation step (like a bank's 3-D Secure page): complete or fail it."""
    payment, finished = _sandbox_open_or_done(token)
    if finished:
        return finished
    if not _waiting_for_card_confirmation(payment):
        return redirect(url_for("payments.sandbox_checkout", token=token))
    form = FlaskForm()
    if form.validate_on_submit():
        if request.form.get("action") == "complete":
            payment_events.process_event(sandbox_gateway.paid_event(payment))
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
        outcome = payment_events.process_event(event)
    except payment_events.EventTooEarly as error:
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
