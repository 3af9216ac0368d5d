"""The shop's inbox under /sell/inbox, and the buyer's messages on an order page."""

from flask import Blueprint

bp = Blueprint("inbox", __name__, url_prefix="/sell/inbox")
