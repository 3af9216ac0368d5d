"""Checkout: place_order() makes one order per shop and one payment; paying, and what payment events do to orders."""
