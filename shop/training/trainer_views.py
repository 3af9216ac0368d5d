"""The trainer's pages under /train/cohorts: cohorts, the progress matrix, CSV, graduation."""

from flask import Blueprint

bp = Blueprint("trainer", __name__, url_prefix="/train/cohorts")
