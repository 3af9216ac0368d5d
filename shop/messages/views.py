"""The shop's inbox under /sell/inbox, and the buyer's messages on an order page.

One blueprint with full paths: the seller's pages under /sell/inbox and the buyer's one form
under /orders/<number>/messages (the order page itself shows the thread). Before buying, a
signed-in buyer asks about a product under /products/<id>/ask (联系卖家) and finds those
conversations under /messages.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from products import services as catalogue
from products.models import Product
from shop.accounts.auth import role_required
from shop.extensions import db, limiter
from shop.messages import services
from shop.messages.display import SELLER_ROLES
from shop.messages.forms import (
    AskSellerForm,
    BuyerMessageForm,
    DeclineForm,
    QuickReplyForm,
    ReplyForm,
)
from shop.messages.models import MessageKind, RequestState
from shop.orders import services as order_services
from shop.orders.access import can_view
from shop.orders.models import OrderStatus
from shop.parsing import whole_number_or

bp = Blueprint("inbox", __name__)

PER_PAGE = 50
#: Messages one browser may send per hour: plenty for a buyer, a wall for a spammer.
BUYER_MESSAGE_LIMIT = "30 per hour"


# --- The seller's inbox ------------------------------------------------------------------------


@bp.get("/sell/inbox")
@role_required(*SELLER_ROLES)
def index():
    """The threads of the seller's shops, latest first; optionally only those waiting for a reply."""
    waiting_only = request.args.get("show") == "waiting"
    page = whole_number_or(request.args.get("page"), 1, least=1)
    rows, total = services.inbox(current_user, waiting_only, page, PER_PAGE)
    return render_template(
        "messages/inbox.html",
        rows=rows,
        total=total,
        waiting_only=waiting_only,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
    )


def _own_order_or_404(number: str):
    """One of the current seller's orders; another seller's number is a 404, as if unknown."""
    order = order_services.seller_order(current_user, number)
    if order is None:
        abort(404)
    return order


def _thread_page(order, thread, reply_form=None, decline_forms=None, status=200):
    """The seller's thread page; each open request gets its own decline form (kept on errors).

    A pre-sale thread (order None) shows its product instead of an order.
    """
    decline_forms = decline_forms or {}
    for message in thread.messages if thread else []:
        if message.request_state == RequestState.OPEN:
            decline_forms.setdefault(
                message.id, DeclineForm(formdata=None, prefix=f"decline{message.id}")
            )
    return render_template(
        "messages/thread.html",
        order=order,
        thread=thread,
        reply_form=reply_form or ReplyForm(formdata=None, prefix="reply"),
        decline_forms=decline_forms,
        proposed_address=services.proposed_address,
        quick_replies=services.quick_replies(current_user),
    ), status


@bp.get("/sell/inbox/<number>")
@role_required(*SELLER_ROLES)
def thread(number: str):
    """One order's conversation with its buyer; opening it marks the buyer's messages read."""
    order = _own_order_or_404(number)
    thread = services.thread_of(order)
    if thread is not None and services.mark_read_by_seller(thread):
        db.session.commit()
    return _thread_page(order, thread)


@bp.post("/sell/inbox/<number>/reply")
@role_required(*SELLER_ROLES)
def reply(number: str):
    """The seller answers the buyer (or writes first).

    With `insert` (the quick-reply picker without JavaScript) nothing is sent: the page comes
    back with the chosen quick reply added to what the seller had typed.
    """
    order = _own_order_or_404(number)
    form = ReplyForm(prefix="reply")
    if request.form.get("reply-insert"):
        return _insert_quick_reply(order, services.thread_of(order), form)
    if not form.validate_on_submit():
        return _thread_page(order, services.thread_of(order), reply_form=form, status=422)
    services.post_seller_reply(services.thread_for(order), current_user, form.body.data)
    db.session.commit()
    flash(_("Your reply was sent."))
    return redirect(url_for("inbox.thread", number=order.number), code=303)


def _own_presale_or_404(thread_id: int):
    """A pre-sale thread of the current seller's shops; anyone else's id is a 404."""
    thread = services.seller_presale_thread(current_user, thread_id)
    if thread is None:
        abort(404)
    return thread


@bp.get("/sell/inbox/ask/<int:thread_id>")
@role_required(*SELLER_ROLES)
def presale(thread_id: int):
    """A buyer's questions about a product before buying; opening it marks them read."""
    thread = _own_presale_or_404(thread_id)
    if services.mark_read_by_seller(thread):
        db.session.commit()
    return _thread_page(None, thread)


@bp.post("/sell/inbox/ask/<int:thread_id>/reply")
@role_required(*SELLER_ROLES)
def presale_reply(thread_id: int):
    """The seller answers a pre-sale question (quick replies work as on order threads)."""
    thread = _own_presale_or_404(thread_id)
    form = ReplyForm(prefix="reply")
    if request.form.get("reply-insert"):
        return _insert_quick_reply(None, thread, form)
    if not form.validate_on_submit():
        return _thread_page(None, thread, reply_form=form, status=422)
    services.post_seller_reply(thread, current_user, form.body.data)
    db.session.commit()
    flash(_("Your reply was sent."))
    return redirect(url_for("inbox.presale", thread_id=thread.id), code=303)


def _insert_quick_reply(order, thread, form: ReplyForm):
    """The thread page again, the chosen quick reply added to the reply box (nothing sent)."""
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        return _thread_page(order, thread, reply_form=form, status=422)
    form.body.errors = []
    replies = services.quick_replies(current_user)
    index = whole_number_or(request.form.get("reply-quick"), -1, least=0)
    if 0 <= index < len(replies):
        typed = (form.body.data or "").rstrip()
        joined = f"{typed}\n{replies[index].body}" if typed else replies[index].body
        form.body.data = joined[: services.MAX_BODY_LENGTH]
    return _thread_page(order, thread, reply_form=form)


def _open_request_or_404(order, message_id: int):
    """The order's thread and one of its messages; another thread's message id is a 404."""
    thread = services.thread_of(order)
    message = services.request_in(thread, message_id)
    if message is None:
        abort(404)
    return thread, message


@bp.post("/sell/inbox/<number>/requests/<int:message_id>/apply")
@role_required(*SELLER_ROLES)
def apply_address(number: str, message_id: int):
    """Give the order the new delivery address the buyer asked for."""
    order = _own_order_or_404(number)
    message = _open_request_or_404(order, message_id)[1]
    try:
        services.apply_address_change(message, current_user)
    except order_services.AddressChangeNotAllowed:
        db.session.rollback()
        flash(
            _(
                "The address can only be changed while the order is paid and not yet shipped. "
                "Decline the request with a reply instead."
            ),
            "error",
        )
    except order_services.InvalidDeliveryAddress:
        db.session.rollback()
        flash(
            _(
                "The new address is incomplete (a name, phone and street are needed) or too long. "
                "Ask the buyer in a reply."
            ),
            "error",
        )
    except services.RequestNotOpen:
        db.session.rollback()
        flash(_("This request was already handled."), "error")
    else:
        db.session.commit()
        flash(_("The delivery address was changed and the buyer was told."))
    return redirect(url_for("inbox.thread", number=order.number), code=303)


@bp.post("/sell/inbox/<number>/requests/<int:message_id>/decline")
@role_required(*SELLER_ROLES)
def decline(number: str, message_id: int):
    """Decline the buyer's request with a reply saying why."""
    order = _own_order_or_404(number)
    thread, message = _open_request_or_404(order, message_id)
    form = DeclineForm(prefix=f"decline{message.id}")
    if not form.validate_on_submit():
        return _thread_page(order, thread, decline_forms={message.id: form}, status=422)
    try:
        services.decline_request(message, current_user, form.body.data)
    except services.RequestNotOpen:
        db.session.rollback()
        flash(_("This request was already handled."), "error")
    else:
        db.session.commit()
        flash(_("You declined the request; the buyer reads your reply."))
    return redirect(url_for("inbox.thread", number=order.number), code=303)


# --- Quick replies (常用语) --------------------------------------------------------------------


def _quick_replies_page(add_form=None, edit_forms=None, status=200):
    """The seller's quick replies, each with its own edit form (kept on errors), and one to add."""
    replies = services.ensure_quick_replies(current_user)
    edit_forms = edit_forms or {}
    for quick in replies:
        if quick.id not in edit_forms:
            edit_forms[quick.id] = QuickReplyForm(
                formdata=None, prefix=f"quick{quick.id}", body=quick.body
            )
    return render_template(
        "messages/quick_replies.html",
        replies=replies,
        edit_forms=edit_forms,
        add_form=add_form or QuickReplyForm(formdata=None, prefix="new"),
        most=services.MAX_QUICK_REPLIES,
    ), status


@bp.get("/sell/inbox/quick-replies")
@role_required(*SELLER_ROLES)
def quick_replies():
    """The seller's quick replies: add, edit, delete. A new seller starts with a few."""
    page = _quick_replies_page()
    # The starter set became the seller's own (so it can be edited by id).
    db.session.commit()
    return page


@bp.post("/sell/inbox/quick-replies")
@role_required(*SELLER_ROLES)
def add_quick_reply():
    """Add a quick reply at the end of the list."""
    form = QuickReplyForm(prefix="new")
    if not form.validate_on_submit():
        return _quick_replies_page(add_form=form, status=422)
    try:
        services.add_quick_reply(current_user, form.body.data)
    except services.TooManyQuickReplies:
        db.session.rollback()
        form.body.errors = [
            _(
                "You can keep at most %(most)d quick replies. Delete one first.",
                most=services.MAX_QUICK_REPLIES,
            )
        ]
        return _quick_replies_page(add_form=form, status=422)
    db.session.commit()
    flash(_("The quick reply was added."))
    return redirect(url_for("inbox.quick_replies"), code=303)


def _own_quick_reply_or_404(reply_id: int):
    services.ensure_quick_replies(current_user)
    quick = services.own_quick_reply(current_user, reply_id)
    if quick is None:
        abort(404)
    return quick


@bp.post("/sell/inbox/quick-replies/<int:reply_id>")
@role_required(*SELLER_ROLES)
def edit_quick_reply(reply_id: int):
    """Change a quick reply's words."""
    quick = _own_quick_reply_or_404(reply_id)
    form = QuickReplyForm(prefix=f"quick{quick.id}")
    if not form.validate_on_submit():
        return _quick_replies_page(edit_forms={quick.id: form}, status=422)
    services.edit_quick_reply(quick, form.body.data)
    db.session.commit()
    flash(_("The quick reply was saved."))
    return redirect(url_for("inbox.quick_replies"), code=303)


@bp.post("/sell/inbox/quick-replies/<int:reply_id>/delete")
@role_required(*SELLER_ROLES)
def delete_quick_reply(reply_id: int):
    """Take a quick reply off the list."""
    quick = _own_quick_reply_or_404(reply_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    services.delete_quick_reply(quick)
    db.session.commit()
    flash(_("The quick reply was deleted."))
    return redirect(url_for("inbox.quick_replies"), code=303)


# --- The buyer's side ------------------------------------------------------------------------


@bp.post("/orders/<number>/messages")
@limiter.limit(BUYER_MESSAGE_LIMIT, scope="buyer-messages")
def write(number: str):
    """The buyer writes to the shop about the order (the same people who may see the order)."""
    order = order_services.order_by_number(number)
    if order is None or not can_view(order):
        abort(404)
    form = BuyerMessageForm(prefix="message")
    if not form.validate_on_submit():
        return render_template(
            "orders/detail.html", order=order, form=FlaskForm(), message_form=form
        ), 422
    # A refund can be asked for only while the order can still be refunded (paid or later).
    asks_refund = form.refund.data and order.can_move_to(OrderStatus.REFUNDED)
    kind = MessageKind.REFUND_REQUEST if asks_refund else MessageKind.MESSAGE
    services.post_buyer_message(order, form.body.data, kind=kind)
    db.session.commit()
    flash(_("Your message was sent to the shop. Its reply will show on this page."))
    return redirect(url_for("orders.detail", number=order.number, _anchor="messages"), code=303)


# --- Before buying: 联系卖家 -------------------------------------------------------------------


def _askable_product_or_404(product_id: int, thread=None) -> Product:
    """A public product, or one the buyer already has a conversation about; else a 404."""
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    if not catalogue.is_public(product) and thread is None:
        thread = services.presale_thread(product, current_user)
        if thread is None:
            abort(404)
    return product


def _ask_page(product: Product, form: AskSellerForm | None = None, status: int = 200):
    """The buyer's conversation with the shop about one product; seeing replies marks them read."""
    thread = services.presale_thread(product, current_user)
    if thread is not None and services.mark_read_by_buyer(thread):
        db.session.commit()
    return render_template(
        "messages/ask.html",
        product=product,
        thread=thread,
        form=form or AskSellerForm(formdata=None, prefix="ask"),
    ), status


def _not_your_own(product: Product):
    """A seller asking their own shop: back to the product with a word why."""
    flash(_("This is your own shop's product: buyers' questions about it reach your inbox."))
    return redirect(url_for("catalogue.product", product_id=product.id, slug=product.slug))


@bp.get("/products/<int:product_id>/ask")
@login_required
def ask(product_id: int):
    """联系卖家: the buyer's conversation with the shop about a product (signed-in only)."""
    product = _askable_product_or_404(product_id)
    if product.shop.owner_id == current_user.id:
        return _not_your_own(product)
    return _ask_page(product)


@bp.post("/products/<int:product_id>/ask")
@login_required
@limiter.limit(BUYER_MESSAGE_LIMIT, scope="buyer-messages")
def ask_send(product_id: int):
    """The buyer sends a question about a product; the first one opens the conversation."""
    product = _askable_product_or_404(product_id)
    if product.shop.owner_id == current_user.id:
        return _not_your_own(product)
    form = AskSellerForm(prefix="ask")
    if not form.validate_on_submit():
        return _ask_page(product, form, status=422)
    try:
        services.post_presale_message(product, current_user, form.body.data)
    except services.OwnProduct:
        db.session.rollback()
        return _not_your_own(product)
    db.session.commit()
    flash(_("Your message was sent to the shop. Its reply will show on this page."))
    return redirect(url_for("inbox.ask", product_id=product.id, _anchor="messages"), code=303)


@bp.get("/messages")
@login_required
def mine():
    """The buyer's conversations with shops about products (questions about orders stay on the
    order pages)."""
    return render_template(
        "messages/mine.html", threads=services.buyer_presale_threads(current_user)
    )
