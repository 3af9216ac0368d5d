"""A practice shop's private preview storefront at /practice/<token>, marked as practice."""

from flask import Blueprint

bp = Blueprint("practice_preview", __name__, url_prefix="/practice")
