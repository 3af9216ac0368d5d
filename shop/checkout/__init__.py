"""Checkout: the address form and place_order(), one order per shop in one payment."""
