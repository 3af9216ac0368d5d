"""Limited-time discounts under /sell/discounts: schedule, list, end early."""

from flask import Blueprint

bp = Blueprint("discounts", __name__, url_prefix="/sell/discounts")
