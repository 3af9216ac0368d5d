"""What happened in a seller's shop, announced for whoever follows it (the training checklist).

Senders are the services that did it, inside the request's transaction and before its commit,
so a receiver's writes commit or roll back with the action itself. Senders never import their
receivers: the checklist follows the workspace, the workspace does not know the checklist.
Every signal is sent with the shop as sender and the changed object as a keyword, except the
questions at the end, which a lower package asks a higher one (see there).
"""

from blinker import Namespace

_signals = Namespace()

#: The shop profile was saved (opened or edited). kwargs: none.
shop_profile_saved = _signals.signal("shop-profile-saved")
#: A listing went on sale. kwargs: product.
listing_published = _signals.signal("listing-published")
#: A listing's text, photos or variants changed (its quality score may have). kwargs: product.
listing_changed = _signals.signal("listing-changed")
#: A variant was added to a listing. kwargs: product, variant.
variant_added = _signals.signal("variant-added")
#: An order's money arrived. kwargs: order.
order_paid = _signals.signal("order-paid")
#: An order left with its carrier and tracking number. kwargs: order.
order_shipped = _signals.signal("order-shipped")
#: Some or all of an order's money went back to the buyer. kwargs: order, refund (the
#: OrderRefund just made; None when the refund was made at the gateway's own dashboard).
order_refunded = _signals.signal("order-refunded")
#: The seller replied to a buyer's message. kwargs: thread, message (the reply).
customer_answered = _signals.signal("customer-answered")
#: The seller settled a buyer's refund request (refunded, or declined with a reply).
#: kwargs: thread, message (the request), refund (the OrderRefund that settled it; None for a
#: decline or a refund made at the gateway).
refund_request_handled = _signals.signal("refund-request-handled")
#: The seller scheduled a limited-time discount. kwargs: discount.
discount_scheduled = _signals.signal("discount-scheduled")

# --- What accounts asks of the packages above it --------------------------------------------
# Guest orders (answered by shop.orders.adoption) and join codes (by shop.training.signup).
# Unlike the announcements above, most want an answer: each receiver returns one (blinker's
# send() hands back every receiver's return value).

#: The sign-up page starts from the email a guest gave at checkout. Sender: None.
#: kwargs: numbers (the order numbers this browser placed as a guest). Returns that email or "".
guest_email_asked = _signals.signal("guest-email-asked")
#: A person logged in on a fresh session: the guest orders this browser placed with their email
#: join their account. Sender: the user. kwargs: numbers. Returns how many orders joined.
guest_orders_claimed = _signals.signal("guest-orders-claimed")
#: Sign-up was given a join code. Sender: None. kwargs: code. Returns the class it opens (a
#: training cohort, with name and join_code), or None when it opens none.
join_code_asked = _signals.signal("join-code-asked")
#: An account was just made with a join code (an announcement: no answer wanted). Sender: the
#: user. kwargs: code. Its receiver makes the person a trainee member of that class.
signed_up_with_join_code = _signals.signal("signed-up-with-join-code")
