"""Customers' messages: a buyer <-> seller thread on each order, the shop's inbox."""
