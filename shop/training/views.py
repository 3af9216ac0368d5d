"""The trainee's pages under /train: join a cohort, the checklist, the share kit, reset."""

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/train")
