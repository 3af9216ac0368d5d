"""Simulated practice customers: "send me a customer" and the scenarios."""

from flask import Blueprint

bp = Blueprint("practice_customers", __name__, url_prefix="/train/customers")
