"""Payments: one PaymentGateway protocol, the sandbox and Stripe behind it, webhooks."""
