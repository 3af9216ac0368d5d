"""Units sold of a product, as its page shows them (已售 N 件).

Counted: units on real (not practice) orders that were paid and are paid, shipped or delivered,
less the units partial refunds gave back. Not counted: orders waiting for payment, cancelled
orders and orders refunded in full. One query whatever the number of orders.
"""

from sqlalchemy import func, select

from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderRefundLine, OrderStatus

#: The statuses whose units count as sold.
SOLD_STATUSES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)


def units_sold(product_id: int) -> int:
    """Paid units of the product less the units refunded from them (never below 0)."""
    counted = (
        Order.status.in_(SOLD_STATUSES),
        Order.is_practice.is_(False),
        OrderLine.product_id == product_id,
    )
    bought = (
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(*counted)
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(OrderRefundLine.quantity), 0))
        .join(OrderLine, OrderLine.id == OrderRefundLine.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(*counted)
        .scalar_subquery()
    )
    return max(0, db.session.scalar(select(bought - refunded)) or 0)
