"""What happened in a seller's shop, announced for whoever follows it (the training checklist).

Senders are the services that did it, inside the request's transaction and before its commit,
so a receiver's writes commit or roll back with the action itself. Senders never import their
receivers: the checklist follows the workspace, the workspace does not know the checklist.
Every signal is sent with the shop as sender and the changed object as a keyword.
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
