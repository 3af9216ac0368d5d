"""What pages show about messages: the inbox badge's count, the words, the order page's thread."""

from flask_babel import gettext as _
from flask_login import current_user

from shop.accounts.models import Role
from shop.extensions import db
from shop.messages import services
from shop.messages.forms import BuyerMessageForm
from shop.messages.models import MessageKind, RequestState

SELLER_ROLES = (Role.EXHIBITOR, Role.TRAINEE)


def inbox_waiting_count() -> int:
    """How many of the current seller's threads wait for them (the nav badge); 0 for others."""
    if not current_user.is_authenticated or not current_user.has_role(*SELLER_ROLES):
        return 0
    return services.waiting_count(current_user)


def message_kind_label(kind: str) -> str:
    """What a buyer's message asks for, in the reader's language (plain messages: empty)."""
    return {
        MessageKind.QUESTION: _("Question"),
        MessageKind.ADDRESS_CHANGE: _("Address change request"),
        MessageKind.REFUND_REQUEST: _("Refund request"),
    }.get(kind, "")


def request_state_label(state: str) -> str:
    """Where a request stands, in the reader's language."""
    return {
        RequestState.OPEN: _("Waiting for the seller"),
        RequestState.DONE: _("Done"),
        RequestState.DECLINED: _("Declined"),
    }.get(state, "")


def order_conversation(order, message_form: BuyerMessageForm | None = None) -> dict:
    """The thread and form the order page shows (messages/_buyer.html asks for them).

    Seeing the seller's replies marks them read: commits when it marked anything (the order
    page makes no other change). A template global (messages.init_app), so the orders package needs no messages.
    """
    thread = services.thread_of(order)
    # A refused message comes back with its form: a refused submission writes nothing, so the
    # replies are marked read by the next plain view of the page.
    if message_form is None and thread is not None and services.mark_read_by_buyer(thread):
        db.session.commit()
    return {
        "thread": thread,
        "message_form": message_form or BuyerMessageForm(formdata=None, prefix="message"),
    }
