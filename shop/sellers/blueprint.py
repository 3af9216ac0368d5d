"""The seller workspace's blueprint (/sell): its routes are in shop.sellers.views and home_views."""

from flask import Blueprint

bp = Blueprint("sellers", __name__, url_prefix="/sell")
