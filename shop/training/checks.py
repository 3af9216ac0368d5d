"""Lessons ticked by what a trainee actually does in their practice shop (never by a button).

Each receiver listens to a signal of shop.signals, sent by the service that did the thing inside
the request's transaction, so a tick commits or rolls back with the action itself. Only the
owner of a practice shop is ticked: an exhibitor's shop is real business, not a lesson.
create_app calls connect(); receivers are module-level functions, which blinker's weak
references keep alive, and connecting one again (every app the tests build) keeps one.
"""

from products.models import Shop
from products.services import quality_score
from shop import signals
from shop.training import lessons
from shop.training.services import tick_lesson

#: The listing score that counts as a good listing.
GOOD_LISTING_SCORE = 80


def _tick(shop: Shop, key: str) -> None:
    if shop.is_practice:
        tick_lesson(shop.owner_id, key)


def profile_completed(shop: Shop, **_kwargs) -> None:
    """PROFILE: the profile has a logo and a story in at least one language."""
    if shop.logo_key and ((shop.story_zh or "").strip() or (shop.story_en or "").strip()):
        _tick(shop, lessons.PROFILE)


def first_product_published(shop: Shop, product, **_kwargs) -> None:
    """FIRST_PRODUCT: a listing went on sale (in practice)."""
    _tick(shop, lessons.FIRST_PRODUCT)


def good_listing(shop: Shop, product, **_kwargs) -> None:
    """QUALITY_80 and SECOND_VARIANT: what a listing looks like after it changed."""
    if not shop.is_practice:
        return
    if quality_score(product).score >= GOOD_LISTING_SCORE:
        tick_lesson(shop.owner_id, lessons.QUALITY_80)
    # A CSV import can bring two variants at once without any "variant added".
    if len(product.variants) >= 2:
        tick_lesson(shop.owner_id, lessons.SECOND_VARIANT)


def variant_added(shop: Shop, product, **_kwargs) -> None:
    """SECOND_VARIANT: a listing now has two or more variants."""
    if len(product.variants) >= 2:
        _tick(shop, lessons.SECOND_VARIANT)


def first_order(shop: Shop, order, **_kwargs) -> None:
    """FIRST_ORDER: a (practice) customer's order was paid."""
    _tick(shop, lessons.FIRST_ORDER)


def shipped(shop: Shop, order, **_kwargs) -> None:
    """SHIPPED: an order left with a tracking number (the service refuses one without)."""
    if (order.tracking_number or "").strip():
        _tick(shop, lessons.SHIPPED)


def answered_question(shop: Shop, **_kwargs) -> None:
    """ANSWERED_QUESTION: the seller replied to a buyer's message."""
    _tick(shop, lessons.ANSWERED_QUESTION)


def refund_request_handled(shop: Shop, refund=None, **_kwargs) -> None:
    """REFUND_REQUEST: a buyer's refund request was settled by refunding part of the order.

    The customer says some arrived broken or missing: the lesson is refunding what is missing,
    so a whole refund or a decline does not tick it.
    """
    if refund is not None and refund.amount_fen < refund.order.total_fen:
        _tick(shop, lessons.REFUND_REQUEST)


def discount_scheduled(shop: Shop, **_kwargs) -> None:
    """DISCOUNT: a limited-time discount was scheduled."""
    _tick(shop, lessons.DISCOUNT)


def share_kit_opened(shop: Shop) -> None:
    """SHARE_KIT: the trainee opened the share kit (called by its page, not by a signal)."""
    _tick(shop, lessons.SHARE_KIT)


def connect() -> None:
    """Listen to the signals that tick lessons."""
    signals.shop_profile_saved.connect(profile_completed)
    signals.listing_published.connect(first_product_published)
    signals.listing_published.connect(good_listing)
    signals.listing_changed.connect(good_listing)
    signals.variant_added.connect(variant_added)
    signals.order_paid.connect(first_order)
    signals.order_shipped.connect(shipped)
    signals.customer_answered.connect(answered_question)
    signals.refund_request_handled.connect(refund_request_handled)
    signals.discount_scheduled.connect(discount_scheduled)
