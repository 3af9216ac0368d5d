"""The practice checklist: each lesson's instruction, why it matters, and its key.

Lessons are ticked by shop.training.checks from what the trainee actually does, in any order;
there is no button to tick one by hand.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Lesson:
    """One thing a trainee learns by doing it in the practice shop."""

    key: str
    title: str
    how: str
    why: str


PROFILE = "profile"
FIRST_PRODUCT = "first_product"
QUALITY_80 = "quality_80"
SECOND_VARIANT = "second_variant"
SHARE_KIT = "share_kit"
FIRST_ORDER = "first_order"
SHIPPED = "shipped"
ANSWERED_QUESTION = "answered_question"
REFUND_REQUEST = "refund_request"
DISCOUNT = "discount"

#: In the order the checklist shows them (any order may be followed).
LESSONS: tuple[Lesson, ...] = (
    Lesson(
        PROFILE,
        _l("Complete your shop profile"),
        _l("Upload a logo and write your shop's story: who you are and where your food grows."),
        _l("Buyers trust a shop with a face and a story, and buy from it again."),
    ),
    Lesson(
        FIRST_PRODUCT,
        _l("Publish your first product"),
        _l("Add a product with a price and stock, then publish it."),
        _l("A shop sells only what is listed: the first listing opens the shop for business."),
    ),
    Lesson(
        QUALITY_80,
        _l("Reach a listing quality score of 80"),
        _l(
            "Add three clear photos, a description, a category and a title naming the product "
            "and its place, until a listing scores 80 or more."
        ),
        _l("Good photos and words are what make a stranger stop scrolling and buy."),
    ),
    Lesson(
        SECOND_VARIANT,
        _l("Add a second variant"),
        _l("Offer the product in another size or pack, with its own price and stock."),
        _l("Choice of sizes lets a first-time buyer try a little and a family buy a lot."),
    ),
    Lesson(
        SHARE_KIT,
        _l("Share your shop"),
        _l("Open the share kit and save your poster and QR codes."),
        _l("Most first buyers are your own followers: WeChat Moments and video channels."),
    ),
    Lesson(
        FIRST_ORDER,
        _l("Receive your first order"),
        _l("Ask for a practice customer; their paid order arrives in your orders."),
        _l("Seeing an order arrive shows what a buyer sees and what you must do next."),
    ),
    Lesson(
        SHIPPED,
        _l("Ship an order with a tracking number"),
        _l("Mark a paid order shipped with the carrier and tracking number."),
        _l("Buyers follow their parcel; a tracking number saves many worried messages."),
    ),
    Lesson(
        ANSWERED_QUESTION,
        _l("Answer a customer's question"),
        _l("Reply to a message waiting in your inbox."),
        _l("A quick, friendly answer turns a question into a sale and a good review."),
    ),
    Lesson(
        REFUND_REQUEST,
        _l("Refund part of an order"),
        _l(
            "A customer's package broke and some are missing: refund only what is missing, by "
            "choosing the items and how many, or an amount, on the order page."
        ),
        _l("Problems happen; handling them fairly keeps your rating and your customers."),
    ),
    Lesson(
        DISCOUNT,
        _l("Run a limited-time discount"),
        _l("Schedule a discount on some variants with a start and end time."),
        _l("Live-sale campaigns bring buyers at a set time: the heart of live commerce."),
    ),
)

LESSON_KEYS: tuple[str, ...] = tuple(lesson.key for lesson in LESSONS)
BY_KEY: dict[str, Lesson] = {lesson.key: lesson for lesson in LESSONS}
