"""Payments: one PaymentGateway protocol, the sandbox and Stripe behind it, payment rules.

This package knows nothing of orders; what a payment event does to them is checkout's
(shop.checkout.payment_events).
"""
